import { addDays, daysBetween } from '../../functions/domain/night/dates.js';
import type { CustomerProfile, IsoDate } from '../../functions/domain/types.js';
import { Random } from './random.js';

export interface SyntheticOrder {
  orderId: string;
  date: IsoDate;
  amount: number;
}

export interface SyntheticCustomer {
  profile: CustomerProfile;
  orders: SyntheticOrder[];
}

export interface PopulationOptions {
  customers: number;
  seed: number;
  /** The day the synthetic history ends (orders up to and including it). */
  asOf: IsoDate;
  /** How far back signups go, in years. */
  years?: number;
}

const MARKETS = [
  { country: 'US', timeZone: 'America/New_York', language: 'en', weight: 30 },
  { country: 'US', timeZone: 'America/Los_Angeles', language: 'en', weight: 12 },
  { country: 'GB', timeZone: 'Europe/London', language: 'en', weight: 14 },
  { country: 'DE', timeZone: 'Europe/Berlin', language: 'de', weight: 14 },
  { country: 'FR', timeZone: 'Europe/Paris', language: 'fr', weight: 9 },
  { country: 'ES', timeZone: 'Europe/Madrid', language: 'es', weight: 6 },
  { country: 'NL', timeZone: 'Europe/Amsterdam', language: 'nl', weight: 4 },
  { country: 'CA', timeZone: 'America/Toronto', language: 'en', weight: 5 },
  { country: 'AU', timeZone: 'Australia/Sydney', language: 'en', weight: 4 },
  { country: 'JP', timeZone: 'Asia/Tokyo', language: 'ja', weight: 2 },
] as const;

const FIRST_NAMES: Record<string, readonly string[]> = {
  en: [
    'Olivia',
    'Liam',
    'Emma',
    'Noah',
    'Amelia',
    'Oliver',
    'Ava',
    'Elijah',
    'Mia',
    'James',
    'Harper',
    'Lucas',
    'Grace',
    'Henry',
  ],
  de: [
    'Anna',
    'Lukas',
    'Marie',
    'Felix',
    'Lena',
    'Jonas',
    'Sophie',
    'Paul',
    'Hannah',
    'Maximilian',
    'Jürgen',
    'Björn',
  ],
  fr: ['Louise', 'Gabriel', 'Jade', 'Léo', 'Chloé', 'Raphaël', 'Inès', 'Arthur', 'Zoé', 'Hugo', 'Élodie'],
  es: ['Lucía', 'Hugo', 'Sofía', 'Mateo', 'Martina', 'Leo', 'María', 'Pablo', 'Julia', 'Álvaro'],
  nl: ['Emma', 'Daan', 'Julia', 'Sem', 'Tess', 'Lucas', 'Mila', 'Finn', 'Sophie', 'Bram'],
  ja: ['Yui', 'Haruto', 'Aoi', 'Sota', 'Hina', 'Ren', 'Sakura', 'Yuto'],
};

const LAST_NAMES: Record<string, readonly string[]> = {
  en: [
    'Smith',
    'Johnson',
    'Brown',
    'Taylor',
    'Wilson',
    'Davies',
    "O'Brien",
    'Evans',
    'Clarke',
    'Walker',
    'Wright',
  ],
  de: ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Hoffmann'],
  fr: ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Lefèvre'],
  es: ['García', 'Fernández', 'González', 'Rodríguez', 'López', 'Martínez', 'Sánchez', 'Pérez'],
  nl: ['de Jong', 'Jansen', 'de Vries', 'van den Berg', 'Bakker', 'Visser', 'Smit', 'Meijer'],
  ja: ['Sato', 'Suzuki', 'Takahashi', 'Tanaka', 'Watanabe', 'Ito', 'Yamamoto', 'Nakamura'],
};

const CATEGORIES = ['books', 'music', 'garden', 'kitchen', 'outdoor', 'toys', 'fashion'] as const;
const DOMAINS = ['example.com', 'example.org', 'example.net'] as const;

/**
 * The buy-till-you-die process of Fader, Hardie & Lee (2005) with Gamma-Gamma spend: each customer
 * has a purchase rate λ ~ Gamma(r, α), a dropout probability p ~ Beta(a, b) after every purchase,
 * and a spend level ν ~ Gamma(q, γ) with order values ~ Gamma(shape p_s, rate ν).
 */
export const PROCESS = {
  rateShape: 0.7,
  rateScaleDays: 75, // mean purchase rate ≈ 0.7/75 per day ≈ 3.4 a year while alive
  dropoutA: 0.8,
  dropoutB: 4,
  spendShape: 6,
  spendQ: 4,
  spendGamma: 30, // mean order ≈ 6·30/3 = 60
  neverBuys: 0.08,
  badAddress: 0.03,
} as const;

function asciiSlug(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}

function badAddress(rng: Random, local: string, domain: string): string {
  return rng.pick([
    `${local}..x@${domain}`,
    `${local}@`,
    `${local} ${local}@${domain}`,
    `@${domain}`,
    `${local}@${domain.replace('.', '')}`,
  ]);
}

/** Generates customer i of the population; deterministic in (seed, i), so populations are reproducible. */
export function syntheticCustomer(index: number, options: PopulationOptions): SyntheticCustomer {
  const rng = new Random((options.seed * 1_000_003 + index * 7919 + 17) >>> 0);
  const years = options.years ?? 4;
  const market = rng.weighted(MARKETS.map((m) => [m, m.weight] as const));
  const firstName = rng.pick(FIRST_NAMES[market.language] ?? FIRST_NAMES.en!);
  const lastName = rng.pick(LAST_NAMES[market.language] ?? LAST_NAMES.en!);
  const customerId = `C${String(index + 1).padStart(7, '0')}`;
  const domain = rng.pick(DOMAINS);
  const local = `${asciiSlug(firstName)}.${asciiSlug(lastName)}${index + 1}`;
  const email = rng.chance(PROCESS.badAddress) ? badAddress(rng, local, domain) : `${local}@${domain}`;
  const signupDate = addDays(options.asOf, -rng.int(0, Math.round(years * 365)));
  const age = rng.int(18, 82);
  const birthDate = rng.chance(0.85)
    ? addDays(`${Number(options.asOf.slice(0, 4)) - age}-01-01`, rng.int(0, 364))
    : undefined;
  const emailConsent = rng.chance(0.86);
  const profile: CustomerProfile = {
    customerId,
    email,
    firstName,
    lastName,
    country: market.country,
    language: market.language,
    timeZone: market.timeZone,
    birthDate,
    signupDate,
    consent: {
      email: emailConsent,
      topics: {
        offers: emailConsent && rng.chance(0.8),
        birthday: emailConsent && rng.chance(0.6),
        newsletter: rng.chance(0.5),
      },
    },
    attributes: { preferredCategory: rng.pick(CATEGORIES), loyaltyMember: rng.chance(0.3) },
  };

  const orders: SyntheticOrder[] = [];
  if (!rng.chance(PROCESS.neverBuys)) {
    const lambda = rng.gamma(PROCESS.rateShape, PROCESS.rateScaleDays);
    const p = rng.beta(PROCESS.dropoutA, PROCESS.dropoutB);
    const nu = rng.gamma(PROCESS.spendQ, PROCESS.spendGamma);
    const horizon = daysBetween(signupDate, options.asOf);
    let day = Math.floor(rng.exponential(1 / 20));
    let n = 0;
    while (day <= horizon && n < 500) {
      const date = addDays(signupDate, day);
      const amount = Math.max(1, Math.round(rng.gamma(PROCESS.spendShape, nu) * 100) / 100);
      n++;
      orders.push({ orderId: `${customerId}-O${String(n).padStart(4, '0')}`, date, amount });
      if (rng.chance(p)) break; // the customer drops out after this purchase
      day += Math.max(1, Math.ceil(rng.exponential(Math.max(lambda, 1e-6))));
    }
  }
  return { profile, orders };
}

export function* syntheticPopulation(options: PopulationOptions): Generator<SyntheticCustomer> {
  for (let i = 0; i < options.customers; i++) yield syntheticCustomer(i, options);
}
