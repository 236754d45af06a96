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

# TLS end to end: makes a throw-away PKI with the openssl command.
add_executable(check_tls ${CMAKE_CURRENT_SOURCE_DIR}/check_tls.c
  ${CMAKE_CURRENT_SOURCE_DIR}/testutil.c)
target_link_libraries(check_tls dusk_client PkgConfig::CHECK PkgConfig::MSGPACK
  Threads::Threads)
add_dependencies(check_tls dusk-scheduler dusk-worker)
add_test(NAME check_tls COMMAND check_tls)
set_tests_properties(check_tls PROPERTIES TIMEOUT 300)
