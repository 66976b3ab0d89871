import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { helperPaths, profileText, PROFILE_NAME } from '../../src/setup/index.js';
import { BURROW_LIBEXEC } from '../../src/util/host-tools.js';

/**
 * apparmor/burrow, the profile `burrow setup` installs on Ubuntu 24.04, checked
 * by Debian's apparmor_parser in parse-only mode (-Q: no kernel load, -K: no
 * cache; this machine's kernel has no AppArmor). Debian 12's parser is AppArmor
 * 3.0: it knows neither `abi <abi/4.0>` nor the `userns` rule (both AppArmor 4.0,
 * Ubuntu 23.10 on), so with it the profile is parsed without those two lines and
 * the lines themselves are compared with the form Ubuntu's own profiles use; a
 * parser of 4.0 or later parses the file as it is.
 */
const parser = await execa('apparmor_parser', ['--version'], { reject: false });
const installed = parser.exitCode === 0;
const major = Number(/version (\d+)\./.exec(String(parser.stdout))?.[1] ?? 0);
if (!installed) console.log('apparmor-profile: skipped: no apparmor_parser (test/bed/install.sh installs the apparmor package)');
const work = mkdtempSync(join(tmpdir(), 'burrow-apparmor-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const text = profileText();

async function parse(name: string, body: string): Promise<{ exitCode: number; stderr: string }> {
  const file = join(work, name);
  writeFileSync(file, body);
  const result = await execa('apparmor_parser', ['-Q', '-K', file], { reject: false });
  // The parser says once that this kernel has no AppArmor; that is not about the profile.
  const stderr = String(result.stderr).split('\n').filter((line) => line !== '' && !line.startsWith('Cache read/write disabled')).join('\n');
  return { exitCode: result.exitCode ?? -1, stderr };
}

/** The profile as AppArmor 3.0's parser can read it: the 4.0 ABI and the userns rule taken out. */
const for30 = (body: string): string => body.replace('abi <abi/4.0>,', 'abi <abi/3.0>,').replace(/^\s*userns,\n/m, '');

describe.skipIf(!installed)("apparmor/burrow, the profile setup installs", () => {
  it(`parses with this machine's apparmor_parser (-Q -K)${major >= 4 ? '' : ' (AppArmor 3.0: all but the 4.0 abi and userns lines, which are checked as text)'}`, async () => {
    const result = await parse('burrow', major >= 4 ? text : for30(text));
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });

  it('a broken copy does not parse (the parser checks something)', async () => {
    const broken = await parse('broken', for30(text).replace(/}\s*$/, ''));
    expect(broken.exitCode).not.toBe(0);
    expect(broken.stderr).toMatch(/syntax error|unexpected/i);
  });

  it("says what Ubuntu's profiles for programs that need user namespaces say, for burrow's helper paths alone", () => {
    const rules = text.split('\n').filter((line) => !line.trimStart().startsWith('#') && line.trim() !== '');
    expect(rules).toEqual([
      'abi <abi/4.0>,',
      'include <tunables/global>',
      `profile ${PROFILE_NAME} ${BURROW_LIBEXEC}/*/burrow-userns flags=(unconfined) {`,
      '  userns,',
      `  include if exists <local/${PROFILE_NAME}>`,
      '}',
    ]);
    // The path setup copies burrow-userns to is what the profile's attachment matches (one directory level: the uid).
    expect(helperPaths(BURROW_LIBEXEC, { name: 'runner', uid: 1001, gid: 118 }).helper).toBe(`${BURROW_LIBEXEC}/1001/burrow-userns`);
  });
});
