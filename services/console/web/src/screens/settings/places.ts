// Countries, languages and time zones as people read them: the browser's own names for the
// codes the services store.

// The regions the contacts service reads phone numbers of (libphonenumber's supported regions):
// the only values it takes as an organisation's default country.
const COUNTRY_CODES = (
  "AC AD AE AF AG AI AL AM AO AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BW BY BZ " +
  "CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM " +
  "FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GT GU GW GY HK HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE " +
  "JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN " +
  "MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PR PS PT " +
  "PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TA TC TD TG TH TJ TK " +
  "TL TM TN TO TR TT TV TW TZ UA UG US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW"
).split(" ");

function displayNames(type: "region" | "language"): Intl.DisplayNames | null {
  try {
    return new Intl.DisplayNames(undefined, { type });
  } catch {
    return null;
  }
}

const regions = displayNames("region");
const languages = displayNames("language");

export function countryName(code: string): string {
  try {
    return regions?.of(code) ?? code;
  } catch {
    return code;
  }
}

let countryList: { code: string; label: string }[] | null = null;
let zoneList: string[] | null = null;

/** Every country, by name: `{code, label}` with labels like "Kenya (KE)". */
export function countries(): { code: string; label: string }[] {
  countryList ??= COUNTRY_CODES.map((code) => ({ code, label: `${countryName(code)} (${code})` })).sort((a, b) =>
    a.label.localeCompare(b.label),
  );
  return countryList;
}

/** "Swahili" for `swa`; the code itself when the browser has no name for it. */
export function languageName(code: string | null | undefined): string {
  if (!code) return "";
  try {
    return languages?.of(code) ?? code;
  } catch {
    return code;
  }
}

export function timeZones(): string[] {
  if (!zoneList) {
    const known = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
    zoneList = known.includes("UTC") ? known : ["UTC", ...known];
  }
  return zoneList;
}

/** The time now in `zone` ("14:05"), or null for a name the browser does not know. */
export function timeIn(zone: string): string | null {
  try {
    return new Date().toLocaleTimeString(undefined, { timeZone: zone, hour: "2-digit", minute: "2-digit" });
  } catch {
    return null;
  }
}
