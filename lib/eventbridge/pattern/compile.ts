import { foldedEqualsTest, foldedPrefixTest, foldedSuffixTest, foldPattern } from './case-fold.js';
import { ipEqualsTest, ipInBlockTest, type IpAddress, type StringTest } from './cidr.js';
import { numericTest, type NumberTest } from './numeric.js';
import type { FieldNode, MatcherNode, StringMatcher } from './tree.js';
import { wildcardTest } from './wildcard.js';

/** A JSON leaf as the matcher sees it: objects and arrays are never leaves. */
export type Leaf = string | number | boolean | null;
export type LeafTest = (value: Leaf) => boolean;

/** A field of the tree turned into one test per leaf, plus what the runtime needs to know about it. */
export interface FieldSpec {
  path: string;
  /** Presence test for one leaf; null when the field only says exists:false. */
  test: LeafTest | null;
  /** `{"exists": false}` is one of the alternatives. */
  absent: boolean;
  /** Only exact values: cheap, usually decisive, so evaluated first. */
  exactOnly: boolean;
}

function anyOf<T>(tests: readonly ((value: T) => boolean)[]): ((value: T) => boolean) | null {
  const [only] = tests;
  if (only === undefined) return null;
  if (tests.length === 1) return only;
  return (value) => {
    for (const test of tests) if (test(value)) return true;
    return false;
  };
}

function setOrEquals<T>(values: readonly T[]): ((value: T) => boolean) | null {
  const [only] = values;
  if (only === undefined) return null;
  if (values.length === 1) return (value) => value === only;
  const set = new Set(values);
  return (value) => set.has(value);
}

export function stringMatcherTest(m: StringMatcher): StringTest {
  switch (m.op) {
    case 'prefix': {
      if (m.ignoreCase) return foldedPrefixTest(foldPattern(m.text));
      const text = m.text;
      return (s) => s.startsWith(text);
    }
    case 'suffix': {
      if (m.ignoreCase) return foldedSuffixTest(foldPattern(m.text));
      const text = m.text;
      return (s) => s.endsWith(text);
    }
    case 'equals-ignore-case':
      return foldedEqualsTest(foldPattern(m.text));
    case 'wildcard':
      return wildcardTest(m.tokens);
  }
}

function anythingButTest(m: Extract<MatcherNode, { op: 'anything-but' }>): LeafTest {
  const strings: string[] = [];
  const numbers: number[] = [];
  const tests: StringTest[] = [];
  for (const e of m.excluded) {
    if (e.op !== 'exact') tests.push(stringMatcherTest(e));
    else if (typeof e.value === 'string') strings.push(e.value);
    else numbers.push(e.value);
  }
  const excludedString = anyOf([...(strings.length ? [setOrEquals(strings) as StringTest] : []), ...tests]);
  const excludedNumber = setOrEquals(numbers);
  // A leaf of the other type (or null, or a boolean) is "anything but" the excluded values.
  return (v) => {
    if (typeof v === 'string') return excludedString === null || !excludedString(v);
    if (typeof v === 'number') return excludedNumber === null || !excludedNumber(v);
    return true;
  };
}

/** Compiles one field's alternatives, cheapest checks first. */
export function compileField(field: FieldNode): FieldSpec {
  const exactStrings: string[] = [];
  const exactIps: IpAddress[] = [];
  const exactNumbers: number[] = [];
  const stringTests: StringTest[] = [];
  const numberTests: NumberTest[] = [];
  const anyTests: LeafTest[] = [];
  let acceptTrue = false;
  let acceptFalse = false;
  let acceptNull = false;
  let existsTrue = false;
  let absent = false;
  let operators = 0;
  for (const m of field.matchers) {
    if (m.op !== 'exact') operators++;
    switch (m.op) {
      case 'exact':
        if (typeof m.value === 'string') {
          exactStrings.push(m.value);
          if (m.ip !== undefined) exactIps.push(m.ip);
        } else if (typeof m.value === 'number') exactNumbers.push(m.value);
        else if (m.value === true) acceptTrue = true;
        else if (m.value === false) acceptFalse = true;
        else acceptNull = true;
        break;
      case 'numeric':
        numberTests.push(numericTest(m.range));
        break;
      case 'cidr':
        stringTests.push(ipInBlockTest(m.block.base, m.block.bits));
        break;
      case 'exists':
        if (m.value) existsTrue = true;
        else absent = true;
        break;
      case 'anything-but':
        anyTests.push(anythingButTest(m));
        break;
      default:
        stringTests.push(stringMatcherTest(m));
    }
  }
  const spec = { path: field.path, absent, exactOnly: operators === 0 };
  if (existsTrue) return { ...spec, test: () => true };
  const onString = anyOf([...[setOrEquals(exactStrings), ipEqualsTest(exactIps)].filter((t): t is StringTest => t !== null), ...stringTests]);
  const exactNumber = setOrEquals(exactNumbers);
  const onNumber = anyOf(exactNumber === null ? numberTests : [exactNumber, ...numberTests]);
  const onAny = anyOf(anyTests);
  if (onString === null && onNumber === null && onAny === null && !acceptTrue && !acceptFalse && !acceptNull) return { ...spec, test: null };
  return {
    ...spec,
    test: (value) => {
      switch (typeof value) {
        case 'string':
          if (onString !== null && onString(value)) return true;
          break;
        case 'number':
          if (onNumber !== null && onNumber(value)) return true;
          break;
        case 'boolean':
          if (value ? acceptTrue : acceptFalse) return true;
          break;
        default:
          if (acceptNull) return true;
      }
      return onAny !== null && onAny(value);
    },
  };
}
