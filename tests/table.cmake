# The result table: storage, wire encoding, and the writers compared with
# pandas (tests/table_pandas.py under /usr/bin/python3, skipped without it).
add_executable(check_table ${CMAKE_CURRENT_SOURCE_DIR}/check_table.c)
target_link_libraries(check_table dusk_proto PkgConfig::CHECK
  PkgConfig::MSGPACK Threads::Threads)
target_compile_definitions(check_table PRIVATE
  DUSK_TABLE_PANDAS="${CMAKE_CURRENT_SOURCE_DIR}/table_pandas.py")
add_test(NAME check_table COMMAND check_table)
set_tests_properties(check_table PROPERTIES TIMEOUT 120)
