import type { RuleSet } from './gbnf.js';

/**
 * String formats a grammar can hold a value to, each written as strictly as the common validators
 * check it (ajv-formats, Python's jsonschema), so any value generated passes them: dates exist
 * (February 29th only in leap years), times are RFC 3339's with a time zone, addresses have no
 * leading zeros. A format not here is refused: it would otherwise be silently unchecked.
 */

const DIGIT = '[0-9]';
const HEX = '[0-9a-fA-F]';
const LABEL = '[a-zA-Z0-9] ( [a-zA-Z0-9-]{0,61} [a-zA-Z0-9] )?';
/** RFC 5322's atext: what an address's local part may hold between dots. */
const ATEXT = "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]";

/** Each format's rule body, written between the quotes of a JSON string. */
const FORMATS: Record<string, (rules: RuleSet) => string> = {
  date: (rules) => date(rules),
  time: (rules) => time(rules),
  'date-time': (rules) => `${date(rules)} "T" ${time(rules)}`,
  uuid: () => `${HEX}{8} "-" ${HEX}{4} "-" ${HEX}{4} "-" ${HEX}{4} "-" ${HEX}{12}`,
  ipv4: (rules) => {
    const octet = rules.shared(
      'ipv4-octet',
      () => `"25" [0-5] | "2" [0-4] ${DIGIT} | "1" ${DIGIT}{2} | [1-9]? ${DIGIT}`,
    );
    return `${octet} "." ${octet} "." ${octet} "." ${octet}`;
  },
  // a dot-atom local part (no quoted strings) and a host name of at least two labels
  email: () => `${ATEXT}{1,64} ( "." ${ATEXT}{1,64} )* "@" ${LABEL} ( "." ${LABEL} )+`,
};

export const STRING_FORMATS: readonly string[] = Object.keys(FORMATS);

/** The rule for a string in the format, quotes included; undefined for a format no rule is written for. */
export function formatString(rules: RuleSet, format: string): string | undefined {
  const body = FORMATS[format];
  if (!body) return undefined;
  return rules.shared(`format-${format}`, () => `"\\"" ${body(rules)} "\\""`);
}

function date(rules: RuleSet): string {
  return rules.shared('date', () => {
    const year = `${DIGIT}{4}`;
    // years divisible by 4, except centuries not divisible by 400
    const multipleOf4 = '( [02468] [048] | [13579] [26] )';
    const leapYear = `( ${DIGIT}{2} ( "0" [48] | [2468] [048] | [13579] [26] ) | ${multipleOf4} "00" )`;
    const day28 = '( "0" [1-9] | "1" [0-9] | "2" [0-8] )';
    const day30 = '( "0" [1-9] | [12] [0-9] | "30" )';
    const day31 = '( "0" [1-9] | [12] [0-9] | "3" [01] )';
    const month31 = '( "0" [13578] | "1" [02] )';
    const month30 = '( "0" [469] | "11" )';
    return (
      `${year} "-" ( ${month31} "-" ${day31} | ${month30} "-" ${day30} | "02-" ${day28} ) | ` + `${leapYear} "-02-29"`
    );
  });
}

function time(rules: RuleSet): string {
  return rules.shared('time', () => {
    const hour = '( [01] [0-9] | "2" [0-3] )';
    const minute = '[0-5] [0-9]';
    return `${hour} ":" ${minute} ":" ${minute} ( "." ${DIGIT}{1,6} )? ( "Z" | ( "+" | "-" ) ${hour} ":" ${minute} )`;
  });
}
