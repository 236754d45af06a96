# Integration suites: real daemons on loopback, driven through libdusk (and,
# for check_security, raw sockets).  The daemons and the example plugin are
# built into the same bin/ folder, where the suites look for them.
foreach(suite cluster security)
  add_executable(check_${suite} ${CMAKE_CURRENT_SOURCE_DIR}/check_${suite}.c
    ${CMAKE_CURRENT_SOURCE_DIR}/testutil.c)
  target_link_libraries(check_${suite} dusk_client PkgConfig::CHECK
    Threads::Threads)
  add_dependencies(check_${suite} dusk-scheduler dusk-worker
    dusk_example_plugin)
  add_test(NAME check_${suite} COMMAND check_${suite})
  set_tests_properties(check_${suite} PROPERTIES TIMEOUT 300)
endforeach()
