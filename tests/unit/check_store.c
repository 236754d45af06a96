/* check_store.c - the parts of store/ that need no server: S3 URLs, the
 * ListObjectsV2 parser, error documents, and the credential files'
 * parsers (the requests themselves are tested against nginx and the fake
 * S3 in tests/python/test_remote.py). */
#include "creds.h"
#include "http.h"
#include "s3.h"
#include "source.h"
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

START_TEST(test_s3_parse) {
  char bucket[64];
  const char *key;
  dusk_error err = {0};
  ck_assert_int_eq(dusk_s3_parse("s3://bkt/dir/a b.csv", bucket,
                                 sizeof bucket, &key, &err), 0);
  ck_assert_str_eq(bucket, "bkt");
  ck_assert_str_eq(key, "dir/a b.csv");
  ck_assert_int_eq(dusk_s3_parse("s3://bkt", bucket, sizeof bucket, &key,
                                 &err), 0);
  ck_assert_str_eq(key, "");
  ck_assert_int_eq(dusk_s3_parse("s3:///k", bucket, sizeof bucket, &key,
                                 &err), DUSK_EINVAL);
  ck_assert_ptr_nonnull(strstr(err.message, "no bucket"));
  ck_assert_int_eq(dusk_s3_parse("s3://b?x/k", bucket, sizeof bucket, &key,
                                 &err), DUSK_EINVAL);
  ck_assert_int_eq(dusk_s3_parse("http://b/k", bucket, sizeof bucket, &key,
                                 &err), DUSK_EINVAL);
  {
    char long_url[1200];
    memset(long_url, 'x', sizeof long_url);
    memcpy(long_url, "s3://", 5);
    long_url[sizeof long_url - 1] = '\0';
    ck_assert_int_eq(dusk_s3_parse(long_url, bucket, sizeof bucket, &key,
                                   &err), DUSK_EINVAL);
  }
  ck_assert(dusk_store_is_url("s3://b/k"));
  ck_assert(dusk_store_is_url("https://h/f.csv"));
  ck_assert(!dusk_store_is_url("/data/s3:/x.csv"));
  ck_assert(dusk_store_is_glob("s3://b/*.csv"));
}
END_TEST

static const char page1[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Name>bkt</Name><Prefix>dir/</Prefix><KeyCount>2</KeyCount>"
    "<MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>"
    "<Contents><Key>dir/a&amp;b &lt;1&gt;.csv</Key>"
    "<LastModified>2026-12-03T08:00:00.000Z</LastModified>"
    "<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag>"
    "<Size>1340000000</Size><StorageClass>STANDARD</StorageClass></Contents>"
    "<Contents><Key>dir/\xc3\xa9t\xc3\xa9.csv</Key><ETag>&quot;e-2&quot;"
    "</ETag><Size>0</Size></Contents>"
    "<NextContinuationToken>AbC+/=</NextContinuationToken>"
    "</ListBucketResult>";

START_TEST(test_listing) {
  dusk_s3_entry *e;
  size_t n;
  bool more;
  char *next;
  dusk_error err = {0};
  ck_assert_int_eq(dusk_s3_parse_listing(page1, strlen(page1), &e, &n, &more,
                                         &next, &err), 0);
  ck_assert_uint_eq(n, 2);
  ck_assert_str_eq(e[0].key, "dir/a&b <1>.csv");
  ck_assert_uint_eq(e[0].size, 1340000000ull);
  ck_assert_str_eq(e[0].etag, "\"9b2cf535f27731c974343645a3985328\"");
  ck_assert_str_eq(e[1].key, "dir/\xc3\xa9t\xc3\xa9.csv");
  ck_assert(more);
  ck_assert_str_eq(next, "AbC+/=");
  dusk_s3_entries_free(e, n);
  free(next);
}
END_TEST

START_TEST(test_listing_refused) {
  static const char *const bad[] = {
      /* truncated without a token: paging would never end */
      "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
      /* S3's 200 with an error inside */
      "<Error><Code>InternalError</Code><Message>x</Message></Error>",
      /* a Contents without its Key */
      "<ListBucketResult><Contents><Size>3</Size></Contents>"
      "</ListBucketResult>",
      "not xml at all",
      "<ListBucketResult><Contents><Key>a",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    dusk_s3_entry *e = (dusk_s3_entry *)1;
    size_t n = 9;
    bool more;
    char *next = (char *)1;
    dusk_error err = {0};
    ck_assert_int_ne(dusk_s3_parse_listing(bad[i], strlen(bad[i]), &e, &n,
                                           &more, &next, &err), 0);
    ck_assert_ptr_null(e);
    ck_assert_ptr_null(next);
    ck_assert_uint_eq(n, 0);
    ck_assert(err.message[0] != '\0');
  }
}
END_TEST

START_TEST(test_error_documents) {
  dusk_buf b;
  dusk_http_meta m;
  char out[256];
  static const char doc[] =
      "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code>"
      "<Message>Access\nDenied</Message></Error>";
  dusk_buf_init(&b);
  ck_assert_int_eq(dusk_buf_append(&b, doc, strlen(doc)), 0);
  memset(&m, 0, sizeof m);
  m.status = 403;
  dusk_http_describe_error(&m, &b, out, sizeof out);
  ck_assert_str_eq(out, "403 AccessDenied: Access Denied");
  dusk_http_error_code(&b, out, sizeof out);
  ck_assert_str_eq(out, "AccessDenied");
  b.len = 0;
  dusk_http_describe_error(&m, &b, out, sizeof out);
  ck_assert_str_eq(out, "HTTP status 403");
  dusk_buf_destroy(&b);
}
END_TEST

START_TEST(test_ini) {
  static const char text[] =
      "# comment\n[default]\naws_access_key_id = AKDEFAULT\n"
      "; another\n[profile dev]\r\n  region=eu-west-1  \r\n"
      "aws_secret_access_key =  s/e+c=ret \n[other]\nregion = x\n";
  char out[64];
  ck_assert(dusk_ini_lookup(text, strlen(text), "default",
                            "aws_access_key_id", out, sizeof out));
  ck_assert_str_eq(out, "AKDEFAULT");
  ck_assert(dusk_ini_lookup(text, strlen(text), "profile dev", "region", out,
                            sizeof out));
  ck_assert_str_eq(out, "eu-west-1");
  ck_assert(dusk_ini_lookup(text, strlen(text), "profile dev",
                            "aws_secret_access_key", out, sizeof out));
  ck_assert_str_eq(out, "s/e+c=ret");
  ck_assert(!dusk_ini_lookup(text, strlen(text), "default", "region", out,
                             sizeof out));
  ck_assert(!dusk_ini_lookup(text, strlen(text), "profile dev", "regio", out,
                             sizeof out));
  /* a value that does not fit is not found, never cut */
  ck_assert(!dusk_ini_lookup(text, strlen(text), "default",
                             "aws_access_key_id", out, 4));
}
END_TEST

START_TEST(test_json_and_times) {
  static const char doc[] =
      "{\"Code\" : \"Success\", \"AccessKeyId\":\"ASIA1\",\n"
      " \"SecretAccessKey\": \"a\\/b\\\"c\", \"Token\": \"T\",\n"
      " \"Expiration\": \"2026-12-03T10:00:00Z\"}";
  char out[64];
  ck_assert(dusk_json_string(doc, strlen(doc), "AccessKeyId", out,
                             sizeof out));
  ck_assert_str_eq(out, "ASIA1");
  ck_assert(dusk_json_string(doc, strlen(doc), "SecretAccessKey", out,
                             sizeof out));
  ck_assert_str_eq(out, "a/b\"c");
  ck_assert(!dusk_json_string(doc, strlen(doc), "Missing", out, sizeof out));
  /* "Success" is a value, never taken for a name */
  ck_assert(!dusk_json_string(doc, strlen(doc), "Success", out, sizeof out));
  ck_assert(dusk_json_string(doc, strlen(doc), "Expiration", out,
                             sizeof out));
  ck_assert_int_eq(dusk_iso8601_seconds(out), 1796292000);
  ck_assert_int_eq(dusk_iso8601_seconds("2026-12-03T10:00:00.123Z"),
                   1796292000);
  ck_assert_int_eq(dusk_iso8601_seconds("2026-12-03T10:00:00+00:00"),
                   1796292000);
  ck_assert_int_eq(dusk_iso8601_seconds("2026-12-03 10:00"), 0);
  ck_assert_int_eq(dusk_iso8601_seconds("2026-12-03T10:00:00+02:00"), 0);
}
END_TEST

START_TEST(test_credentials_from_environment_and_profile) {
  char dir[] = "/tmp/dusk-creds-XXXXXX", path[256];
  dusk_aws_creds c;
  dusk_error err = {0};
  FILE *f;
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/credentials", dir);
  f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs("[default]\naws_access_key_id=AKD\naws_secret_access_key=SKD\n"
        "[dev]\naws_access_key_id=AKDEV\naws_secret_access_key=SKDEV\n"
        "aws_session_token=TOK\n",
        f);
  fclose(f);
  setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
  setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  setenv("AWS_ACCESS_KEY_ID", "AKENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "SKENV", 1);
  unsetenv("AWS_SESSION_TOKEN");
  dusk_aws_creds_reset();
  ck_assert_int_eq(dusk_aws_creds_get(false, &c, &err), 0);
  ck_assert_str_eq(c.access_key, "AKENV"); /* the environment first */
  ck_assert_str_eq(c.source, "environment");
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  setenv("AWS_PROFILE", "dev", 1);
  dusk_aws_creds_reset();
  ck_assert_int_eq(dusk_aws_creds_get(false, &c, &err), 0);
  ck_assert_str_eq(c.access_key, "AKDEV");
  ck_assert_str_eq(c.token, "TOK");
  setenv("AWS_PROFILE", "nobody", 1);
  dusk_aws_creds_reset();
  ck_assert_int_eq(dusk_aws_creds_get(false, &c, &err), DUSK_EAUTH);
  ck_assert_ptr_nonnull(strstr(err.message, "profile 'nobody'"));
  ck_assert_ptr_nonnull(strstr(err.message, "anon=True"));
  unsetenv("AWS_PROFILE");
  remove(path);
  rmdir(dir);
}
END_TEST

int main(void) {
  Suite *s = suite_create("store");
  TCase *tc = tcase_create("store");
  tcase_add_test(tc, test_s3_parse);
  tcase_add_test(tc, test_listing);
  tcase_add_test(tc, test_listing_refused);
  tcase_add_test(tc, test_error_documents);
  tcase_add_test(tc, test_ini);
  tcase_add_test(tc, test_json_and_times);
  tcase_add_test(tc, test_credentials_from_environment_and_profile);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
