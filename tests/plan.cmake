# check_plan: logical plans, query expressions and their checked decoding.
add_executable(check_plan ${CMAKE_CURRENT_SOURCE_DIR}/check_plan.c)
target_link_libraries(check_plan dusk_proto PkgConfig::CHECK
  PkgConfig::MSGPACK Threads::Threads)
add_test(NAME check_plan COMMAND check_plan)
set_tests_properties(check_plan PROPERTIES TIMEOUT 60)
