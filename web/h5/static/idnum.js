// GB 11643-1999 citizen ID number: 17 digits + MOD 11-2 check character.
// Only a typing hint: the server validates.
const W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const C = '10X98765432';

// check returns {state: 'short'|'long'|'chars'|'checksum'|'ok', need}.
export function check(raw) {
  const s = raw.trim().toUpperCase();
  if (!/^\d{0,17}[\dX]?$/.test(s)) return { state: 'chars' };
  if (s.length < 18) return { state: 'short', need: 18 - s.length };
  if (s.length > 18) return { state: 'long' };
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (s.charCodeAt(i) - 48) * W[i];
  return { state: C[sum % 11] === s[17] ? 'ok' : 'checksum' };
}
