import { DESTINATION } from '../sandbox/bwrap.js';

/** The most symlinks followed for one destination (the kernel's MAXSYMLINKS). */
export const MAX_DESTINATION_LINKS = 40;

/**
 * The functions of the step below. `d_resolve PATH` leaves PATH resolved in
 * `$d_resolved`; `d_register KIND [SOURCE]` records that the destination just
 * resolved is mounted (volumes' host paths are where names below them are
 * looked up; `$d_root` is the root's). The table is the kernel's mount stack,
 * the latest mount first; `$d_tops` holds the first names of its targets, so a
 * name under none of them (most) is looked up in the root at once.
 */
const FUNCTIONS = `d_root= d_tops=/ d_mounts=0
d_lookup() {
  d_host= d_kernel=
  d_first=\${1#/}; d_first=\${d_first%%/*}
  case $d_tops in
    */"$d_first"/*)
      d_i=$d_mounts
      while [ "$d_i" -gt 0 ]; do
        eval "d_target=\\$d_target_$d_i"
        case $1 in
          "$d_target") return;;
          "$d_target"/*)
            eval "d_mount=\\$d_mount_$d_i"
            case $d_mount in
              ${DESTINATION.bind}*) d_host=\${d_mount#?}\${1#"$d_target"};;
              ${DESTINATION.kernel}) d_kernel=1;;
            esac
            return;;
        esac
        d_i=$((d_i - 1))
      done;;
  esac
  d_host=\${d_root:+$d_root$1}
}
d_resolve() {
  d_rest=$1 d_original=$1 d_done= d_hops=0
  while :; do
    d_rest=\${d_rest#"\${d_rest%%[!/]*}"}
    [ -n "$d_rest" ] || break
    d_part=\${d_rest%%/*}
    case $d_rest in */*) d_rest=\${d_rest#*/};; *) d_rest=;; esac
    case $d_part in
      .) continue;;
      ..) d_done=\${d_done%/*}; continue;;
    esac
    d_lookup "$d_done/$d_part"
    [ -z "$d_kernel" ] || [ "$d_hops" -eq 0 ] || { why=$1; fail kernel-link; }
    if [ -n "$d_host" ] && [ -L "$d_host" ]; then
      d_hops=$((d_hops + 1))
      [ "$d_hops" -le ${MAX_DESTINATION_LINKS} ] || { why=$1; fail symlinks; }
      d_link=$(readlink -- "$d_host" && echo .) || { why=$1; fail destination; }
      d_link=\${d_link%"$nl."}
      case $d_link in /*) d_done=;; esac
      d_rest=$d_link/$d_rest
    else
      d_done=$d_done/$d_part
    fi
  done
  d_resolved=\${d_done:-/}
}
d_register() {
  [ "$1" != ${DESTINATION.kernel} ] || [ "$d_hops" -eq 0 ] || { why=$d_original; fail kernel-mount; }
  if [ -z "$d_done" ]; then
    if [ "$1" = ${DESTINATION.bind} ]; then d_root=$2; else d_root=; fi
    return
  fi
  d_mounts=$((d_mounts + 1))
  eval "d_target_$d_mounts=\\$d_done d_mount_$d_mounts=\\$1\\$2"
  d_first=\${d_done#/}; d_tops=$d_tops\${d_first%%/*}/
}
`;

/**
 * The launcher's step between the mount and bubblewrap: every mount destination
 * resolved inside the container's root, and bubblewrap handed the result.
 * `kinds` has one letter (bwrap.ts: DESTINATION) per word of the command in `$@`.
 *
 * bubblewrap creates its destinations (mkdir, creat) while the host's root is
 * still mounted at /oldroot, and follows symlinks in the container's root as it
 * does. An image, or a job in its writable layer before the next start, with
 * `/etc -> /oldroot/tmp/x` (or `../../../oldroot/tmp/x`) would have it create
 * `hosts` and `resolv.conf` in the host's /tmp/x, and a volume target below such
 * a link a directory there. Here each symlink on the way is read and resolved
 * against the container's root instead, with securejoin's rule (as runc resolves
 * mount destinations): an absolute target starts again at the container's `/`,
 * `..` never climbs above it, at most MAX_DESTINATION_LINKS links. What reaches
 * bubblewrap has no symlink left on its way, only names it creates. Legitimate
 * links work as in Docker: with `/var/run -> ../run`, a volume at
 * /var/run/docker.sock is mounted at /run/docker.sock.
 *
 * The mounts bubblewrap makes before a destination change what is there, so the
 * step keeps a table of them as it goes:
 * - below a bind (the root, a volume), names are looked up in its host path: a
 *   job can plant links in a volume too;
 * - below a tmpfs, nothing is there;
 * - below proc, dev and sysfs, names are the kernel's, magic links among them
 *   (`/proc/self/root` is bubblewrap's root, with the host's at /oldroot):
 *   burrow's own paths there are taken as they are, but a destination that gets
 *   there through a symlink is refused (`fail kernel-link`), and so is a /proc,
 *   /dev or /sys that is itself a symlink (`fail kernel-mount`), as runc refuses it.
 *
 * Shell builtins only, and little of them (a start pays for this step in every
 * run): a start whose destinations cross no symlink runs no process here, and
 * `readlink` runs once per link met. The words up to the last destination are
 * saved in one line (`d_1=$1 …`), those variables rewritten, and put back in front
 * of the rest with one `set --`; the text holds word numbers, never a path. Other
 * failures: `fail symlinks` (a loop, or too many links) and `fail destination` (a
 * link that could not be read). `$why`: the destination.
 */
export function resolveDestinations(kinds: string): string {
  const last = kinds.replace(new RegExp(`\\${DESTINATION.none}+$`), '').length;
  if (last === 0) return '';
  const words = Array.from({ length: last }, (_, index) => index + 1);
  const steps = words.filter((word) => kinds[word - 1] !== DESTINATION.none).map((word) => {
    const kind = kinds[word - 1]!;
    const register = kind === DESTINATION.file ? '' : ` d_register ${kind}${kind === DESTINATION.bind ? ` "$d_${word - 1}"` : ''};`;
    return `d_resolve "$d_${word}";${register} d_${word}=$d_resolved\n`;
  });
  return `${FUNCTIONS}${words.map((word) => `d_${word}=\${${word}}`).join(' ')}
shift ${last}
${steps.join('')}set -- ${words.map((word) => `"$d_${word}"`).join(' ')} "$@"
`;
}
