/*
 * When a process started: field 22 of /proc/PID/stat, in clock ticks after boot.
 * With the pid and the boot id it names one process of one boot (the identity of
 * src/util/process-identity.ts, spelt PID.STARTTIME.BOOTID). Shared by
 * burrow-monitor.c and burrow-init.c; each is built as one file, so the function is
 * static here.
 */
#ifndef BURROW_PROCESS_START_H
#define BURROW_PROCESS_START_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* The start time of the process that has PID now, or 0 when none runs with it:
 * none at all, or a zombie (it has exited: the rule of process-identity.ts). */
static unsigned long long start_time(pid_t pid)
{
  char path[64], text[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return 0;
  text[n] = '\0';
  char *field = strrchr(text, ')'); /* the command name may hold spaces and parentheses */
  if (field == NULL || field[1] != ' ' || field[2] == 'Z' || field[2] == 'X') return 0;
  /* After ")": field 3 (state) onwards; field 22 is the 20th of them. */
  for (int i = 3; i <= 22 && field != NULL; i++) field = strchr(field + 1, ' ');
  return field == NULL ? 0 : strtoull(field + 1, NULL, 10);
}

#endif
