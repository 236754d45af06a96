# Unit suites for the worker's dataframe operators: groupby hash
# aggregation and vectorised query evaluation (dusk_worker), and the static
# typing of query expressions (dusk_proto).  One Check suite per module,
# one ctest each.
foreach(suite hashagg exprvec)
  add_executable(check_${suite} ${CMAKE_CURRENT_SOURCE_DIR}/check_${suite}.c)
  target_link_libraries(check_${suite} dusk_worker PkgConfig::CHECK
    Threads::Threads m)
  add_test(NAME check_${suite} COMMAND check_${suite})
  set_tests_properties(check_${suite} PROPERTIES TIMEOUT 60)
endforeach()

add_executable(check_exprtype ${CMAKE_CURRENT_SOURCE_DIR}/check_exprtype.c)
target_link_libraries(check_exprtype dusk_proto PkgConfig::CHECK
  Threads::Threads m)
add_test(NAME check_exprtype COMMAND check_exprtype)
set_tests_properties(check_exprtype PROPERTIES TIMEOUT 60)
