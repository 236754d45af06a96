# check_expr: the query language of the CLI (client/expr.c).
add_executable(check_expr ${CMAKE_CURRENT_SOURCE_DIR}/check_expr.c)
target_link_libraries(check_expr dusk_client PkgConfig::CHECK Threads::Threads)
# With GNU ld's --wrap the suite makes the parser's allocations fail one by
# one (DUSK_TEST_WRAP_ALLOC); elsewhere that test is left out.
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  target_link_options(check_expr PRIVATE
    "LINKER:--wrap=malloc,--wrap=calloc,--wrap=realloc")
  target_compile_definitions(check_expr PRIVATE DUSK_TEST_WRAP_ALLOC=1)
endif()
add_test(NAME check_expr COMMAND check_expr)
set_tests_properties(check_expr PROPERTIES TIMEOUT 60)
