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

# dusk-load: 100 clients, a 1M-task graph and 50 churning workers at once,
# every process stopped by pid and required to exit 0 - under the sanitizer
# build that makes it the leak soak (LSan fails a leaking daemon's exit).
add_executable(dusk-load ${CMAKE_CURRENT_SOURCE_DIR}/load.c
  ${CMAKE_CURRENT_SOURCE_DIR}/testutil.c)
target_link_libraries(dusk-load dusk_client Threads::Threads)
add_dependencies(dusk-load dusk-scheduler dusk-worker)
# CI sizes for 2 cores (the full 1M-task run is bench/load.sh).
if(DUSK_SANITIZE)
  set(DUSK_LOAD_ARGS --clients 100 --queries 2 --graph-tasks 50001 --churn 30)
else()
  set(DUSK_LOAD_ARGS --clients 100 --queries 2 --graph-tasks 100001 --churn 50)
endif()
add_test(NAME load_soak COMMAND dusk-load ${DUSK_LOAD_ARGS})
set_tests_properties(load_soak PROPERTIES TIMEOUT 900)
