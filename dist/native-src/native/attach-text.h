/*
 * The attach text of a user-defined network (src/network/attach.ts: key=value
 * lines) as burrow-netattach.c reads it and sends it on to burrow-switch.c, which
 * reads it again. Each helper is built as one file, so the functions are static.
 */
#ifndef BURROW_ATTACH_TEXT_H
#define BURROW_ATTACH_TEXT_H

#include <stdio.h>
#include <string.h>

/* The value of KEY in key=value lines, copied into OUT ("" when missing; cut to SIZE). */
static void field(const char *text, const char *key, char *out, size_t size)
{
  size_t key_length = strlen(key);
  out[0] = 0;
  for (const char *line = text; line != NULL && *line != 0;) {
    const char *end = strchr(line, '\n');
    size_t length = end == NULL ? strlen(line) : (size_t)(end - line);
    if (length > key_length && strncmp(line, key, key_length) == 0 && line[key_length] == '=') {
      size_t value = length - key_length - 1;
      if (value >= size) value = size - 1;
      memcpy(out, line + key_length + 1, value);
      out[value] = 0;
      return;
    }
    line = end == NULL ? NULL : end + 1;
  }
}

/* "02:42:0a:59:00:02" into MAC; 0, or -1 when TEXT is not six hex bytes. */
static int parse_mac(const char *text, unsigned char mac[6])
{
  unsigned int bytes[6];
  char extra;
  if (sscanf(text, "%x:%x:%x:%x:%x:%x%c", &bytes[0], &bytes[1], &bytes[2], &bytes[3], &bytes[4], &bytes[5], &extra) != 6) return -1;
  for (int i = 0; i < 6; i++) {
    if (bytes[i] > 255) return -1;
    mac[i] = (unsigned char)bytes[i];
  }
  return 0;
}

#endif
