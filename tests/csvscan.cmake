# CSV field parsing and the CSV range scanner (both in proto).
add_executable(check_fieldparse check_fieldparse.c)
target_link_libraries(check_fieldparse dusk_proto PkgConfig::CHECK m)
add_test(NAME check_fieldparse COMMAND check_fieldparse)
set_tests_properties(check_fieldparse PROPERTIES TIMEOUT 120)

add_executable(check_csvscan check_csvscan.c)
target_link_libraries(check_csvscan dusk_proto PkgConfig::CHECK
  Threads::Threads m)
add_test(NAME check_csvscan COMMAND check_csvscan)
set_tests_properties(check_csvscan PROPERTIES TIMEOUT 120)
