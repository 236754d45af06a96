# Fuzz targets (libFuzzer entry point).  Every build replays the committed
# corpora as ctests; -DDUSK_FUZZ=ON with clang also builds the fuzzers
# themselves (`./run.sh fuzz SECONDS` runs each for a bounded time).
foreach(target frames query csv)
  add_executable(replay_${target} fuzz/fuzz_${target}.c fuzz/replay.c)
  target_link_libraries(replay_${target} dusk_client)
  add_test(NAME fuzz_replay_${target}
    COMMAND replay_${target} ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${target})
  set_tests_properties(fuzz_replay_${target} PROPERTIES TIMEOUT 120)
  if(DUSK_FUZZ)
    add_executable(fuzz_${target} fuzz/fuzz_${target}.c)
    target_compile_options(fuzz_${target} PRIVATE -fsanitize=fuzzer)
    target_link_options(fuzz_${target} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(fuzz_${target} dusk_client)
  endif()
endforeach()
