# Unit suites for proto/: one Check suite per module, one ctest each.
foreach(suite frame msgcheck msg hashmap auth)
  add_executable(check_${suite} ${CMAKE_CURRENT_SOURCE_DIR}/check_${suite}.c)
  target_link_libraries(check_${suite} dusk_proto PkgConfig::CHECK
    PkgConfig::MSGPACK Threads::Threads)
  add_test(NAME check_${suite} COMMAND check_${suite})
  set_tests_properties(check_${suite} PROPERTIES TIMEOUT 60)
endforeach()
