/**
 * `images --filter` and `images REPOSITORY[:TAG]`, as Docker's: reference= (a glob
 * over the name and name:tag), label=KEY[=VALUE], dangling=true|false,
 * before=IMAGE, since=IMAGE. Filters of one key are alternatives; different keys
 * must all match.
 */
import { BurrowError } from '../errors.js';
import type { Store } from '../store/store.js';
import { requireImage } from './local.js';
import type { ImageSummary } from './summary.js';

const KEYS = ['reference', 'label', 'dangling', 'before', 'since'] as const;
type ImageFilterKey = (typeof KEYS)[number];

/** Go's path.Match: `*` and `?` never cross a `/`; `[…]` is a class. */
export function globMatch(pattern: string, text: string): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else if (char === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) throw new BurrowError('INVALID_ARGUMENT', `bad reference filter "${pattern}": unclosed [`);
      source += `[${pattern.slice(i + 1, end).replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (char === '\\' && i + 1 < pattern.length) source += `\\${pattern[++i]}`;
    else source += char.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`).test(text);
}

function parse(spec: string): { key: ImageFilterKey; value: string } {
  const at = spec.indexOf('=');
  const key = at < 0 ? spec : spec.slice(0, at);
  if (!(KEYS as readonly string[]).includes(key)) throw new BurrowError('INVALID_ARGUMENT', `invalid filter "${key}": images filter on reference, label, dangling, before or since`);
  return { key: key as ImageFilterKey, value: at < 0 ? '' : spec.slice(at + 1) };
}

function created(image: ImageSummary): number {
  return Date.parse(image.Created ?? '') || 0;
}

/** The images every filter matches; `before`/`since` name an image in the store. */
export function filterImages(store: Store, images: ImageSummary[], specs: string[]): ImageSummary[] {
  const byKey = new Map<ImageFilterKey, string[]>();
  for (const { key, value } of specs.map(parse)) byKey.set(key, [...(byKey.get(key) ?? []), value]);
  const tests: Array<(image: ImageSummary) => boolean> = [];
  for (const [key, values] of byKey) {
    switch (key) {
      case 'reference':
        tests.push((image) => image.Repository !== '<none>' && values.some((pattern) => globMatch(pattern, image.Repository) || globMatch(pattern, `${image.Repository}:${image.Tag}`)));
        break;
      case 'label':
        tests.push((image) => values.some((value) => {
          const at = value.indexOf('=');
          return at < 0 ? Object.hasOwn(image.Labels, value) : image.Labels[value.slice(0, at)] === value.slice(at + 1);
        }));
        break;
      case 'dangling':
        for (const value of values) if (value !== 'true' && value !== 'false') throw new BurrowError('INVALID_ARGUMENT', `invalid filter 'dangling=${value}': use true or false`);
        tests.push((image) => values.includes(String(image.Repository === '<none>')));
        break;
      case 'before':
      case 'since': {
        const times = values.map((query) => Date.parse(requireImage(store, query).config.created ?? '') || 0);
        tests.push((image) => times.some((time) => (key === 'before' ? created(image) < time : created(image) > time)));
        break;
      }
    }
  }
  return images.filter((image) => tests.every((test) => test(image)));
}
