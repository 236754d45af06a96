# embed.cmake - turns the file IN into a C source OUT that defines
# `const char NAME[]` (its bytes and a NUL) and `const size_t NAME_len`
# (its length without the NUL).  The scheduler embeds its dashboard page
# this way, so the binary serves it with nothing to install beside it.
#   cmake -DIN=page.html -DOUT=page.c -DNAME=dusk_dash_page -P embed.cmake
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" digits)
math(EXPR len "${digits} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x..,){16})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUT}.tmp"
  "/* Generated from ${IN} by embed.cmake: do not edit. */\n"
  "#include <stddef.h>\n"
  "extern const char ${NAME}[];\n"
  "extern const size_t ${NAME}_len;\n"
  "const char ${NAME}[] = {\n${bytes}0x00};\n"
  "const size_t ${NAME}_len = ${len};\n")
# Replaced only when changed, so an unchanged page rebuilds nothing.
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different
  "${OUT}.tmp" "${OUT}")
file(REMOVE "${OUT}.tmp")
