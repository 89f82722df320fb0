import { VR_DICTIONARY_PACKED, VR_DICTIONARY_EDITION } from './vr-dictionary.2024b.js';

export { VR_DICTIONARY_EDITION };

let dictionary: Map<number, string> | undefined;

function load(): Map<number, string> {
  const m = new Map<number, string>();
  for (let i = 0; i + 10 <= VR_DICTIONARY_PACKED.length; i += 10) {
    m.set(Number.parseInt(VR_DICTIONARY_PACKED.slice(i, i + 8), 16) >>> 0, VR_DICTIONARY_PACKED.slice(i + 8, i + 10));
  }
  return m;
}

/**
 * VR of a standard data element per PS3.6, or undefined when the tag is not in the dictionary of
 * the edition we implement. Repeating groups (50xx curves, 60xx overlays) are resolved by group.
 * Needed for Implicit VR Little Endian (PS3.5 §7.1.3), where the VR is not in the stream.
 */
export function standardVr(tag: number): string | undefined {
  dictionary ??= load();
  const vr = dictionary.get(tag >>> 0);
  if (vr !== undefined) return vr;
  const group = tag >>> 16;
  const elem = tag & 0xffff;
  if ((group & 0xff00) === 0x6000 && group % 2 === 0) {
    // PS3.6: overlay group elements (60xx,eeee) repeat over even groups 6000-601E.
    return dictionary.get((0x6000 << 16) | elem);
  }
  return undefined;
}

/** Item, item delimitation and sequence delimitation tags (PS3.5 §7.5). */
export const ITEM = 0xfffee000;
export const ITEM_DELIMITATION = 0xfffee00d;
export const SEQUENCE_DELIMITATION = 0xfffee0dd;
export const PIXEL_DATA = 0x7fe00010;
