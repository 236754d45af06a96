/* creds.h - AWS credentials, found where the AWS SDKs find them.
 *
 * In order, the first that gives a key pair:
 *   1. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 *      AWS_SESSION_TOKEN;
 *   2. the profile (AWS_PROFILE, else "default") in the shared credentials
 *      file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials), then
 *      in the config file (AWS_CONFIG_FILE, else ~/.aws/config, section
 *      [profile NAME] or [default]): aws_access_key_id,
 *      aws_secret_access_key, aws_session_token;
 *   3. a container's credentials (ECS, SageMaker):
 *      AWS_CONTAINER_CREDENTIALS_FULL_URI, or
 *      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI under http://169.254.170.2,
 *      with AWS_CONTAINER_AUTHORIZATION_TOKEN (or the file
 *      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE names) as Authorization;
 *   4. the EC2 instance's role through IMDSv2 (a token PUT, then the
 *      role's name and its credentials), at AWS_EC2_METADATA_SERVICE_ENDPOINT
 *      or http://169.254.169.254, unless AWS_EC2_METADATA_DISABLED=true.
 * Credentials that expire (3 and 4) are kept per process and fetched again
 * five minutes before they expire, or when a caller says S3 refused them
 * as expired.  Thread-safe (one process-wide cache under a mutex). */
#ifndef DUSK_CREDS_H
#define DUSK_CREDS_H

#include "errors.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest access key, secret and session token accepted (bytes). */
#define DUSK_CREDS_KEY_MAX 128
#define DUSK_CREDS_TOKEN_MAX 4096

typedef struct dusk_aws_creds {
  char access_key[DUSK_CREDS_KEY_MAX + 1];
  char secret_key[DUSK_CREDS_KEY_MAX + 1];
  char token[DUSK_CREDS_TOKEN_MAX + 1]; /* "" for long-term keys */
  int64_t expires;                      /* unix seconds; 0: never */
  char source[48];                      /* where they came from */
} dusk_aws_creds;

/* A copy of the current credentials into *out.  refresh: the last ones
 * were refused as expired; fetch again.  0, or DUSK_EAUTH saying what was
 * tried. */
int dusk_aws_creds_get(bool refresh, dusk_aws_creds *out, dusk_error *err);

/* Forgets the cached credentials (tests change the environment). */
void dusk_aws_creds_reset(void);

/* The profile's region from the config file into out ("" when none). */
void dusk_aws_profile_region(char *out, size_t cap);

/* The value of key in [section] of an INI file's text (AWS's format: '#'
 * and ';' comments, "key = value", names case-sensitive) into out; true
 * when found.  For tests. */
bool dusk_ini_lookup(const char *text, size_t len, const char *section,
                     const char *key, char *out, size_t cap);

/* The string value of "name" in a flat JSON object into out (escapes
 * decoded); true when found.  For tests. */
bool dusk_json_string(const char *json, size_t len, const char *name,
                      char *out, size_t cap);

/* Seconds since the epoch of an ISO 8601 UTC time ("2026-12-03T10:00:00Z"),
 * or 0 when it is not one. */
int64_t dusk_iso8601_seconds(const char *s);

#endif
