/* fuzz_query.c - libFuzzer target: any text as a `dusk query` expression.
 * A plan the parser accepts must survive encode + decode; nothing may
 * crash or leak on any input. */
#include "expr.h"
#include "plan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  dusk_plan *p = NULL, *back = NULL;
  dusk_error err;
  if (text == NULL)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  if (dusk_query_parse(text, &p, &err) == 0) {
    dusk_buf b;
    dusk_buf_init(&b);
    if (dusk_plan_encode(p, &b) == 0) {
      dusk_slice s = {b.data, b.len};
      if (dusk_plan_decode(s, &back, &err) != 0)
        abort(); /* what we encode we must be able to decode */
      dusk_plan_free(back);
    }
    dusk_buf_destroy(&b);
    dusk_plan_free(p);
  }
  /* The bytes as an encoded plan, too. */
  {
    dusk_slice s = {(const char *)data, size};
    if (dusk_plan_decode(s, &back, &err) == 0)
      dusk_plan_free(back);
  }
  free(text);
  return 0;
}
