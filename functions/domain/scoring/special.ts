// Special functions used by the buy-till-you-die models. Pure, allocation-free.

const LANCZOS_G = 607 / 128;
const LANCZOS_C = [
  0.9999999999999971, 57.15623566586292, -59.59796035547549, 14.136097974741746, -0.4919138160976202,
  0.00003399464998481189, 0.00004652362892704858, -0.00009837447530487956, 0.0001580887032249125,
  -0.00021026444172410488, 0.00021743961811521265, -0.0001643181065367639, 0.00008441822398385275,
  -0.000026190838401581408, 0.0000036899182659531625,
] as const;
const HALF_LOG_2PI = 0.9189385332046728;

/** ln Γ(x) for x > 0 (Lanczos, g = 607/128; ~1e-15 relative). NaN for x <= 0. */
export function lgamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  if (x < 0.5) {
    // Reflection keeps accuracy near 0: ln Γ(x) = ln π - ln sin(πx) - ln Γ(1-x).
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - lgamma(1 - x);
  }
  const y = x - 1;
  let sum = LANCZOS_C[0];
  for (let i = 1; i < 15; i++) sum += (LANCZOS_C[i] as number) / (y + i);
  const t = y + LANCZOS_G + 0.5;
  return HALF_LOG_2PI + (y + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** ψ(x) = d/dx ln Γ(x) for x > 0 (recurrence to x >= 8, then the asymptotic series). */
export function digamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  let acc = 0;
  while (x < 8) {
    acc -= 1 / x;
    x += 1;
  }
  const inv = 1 / x;
  const inv2 = inv * inv;
  // Bernoulli-number series: ln x - 1/(2x) - Σ B_2k / (2k x^2k)
  const series =
    inv2 *
    (1 / 12 -
      inv2 *
        (1 / 120 -
          inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 * (1 / 132 - inv2 * (691 / 32760 - inv2 / 12))))));
  return acc + Math.log(x) - 0.5 * inv - series;
}

/** ln B(a, b). */
export function lbeta(a: number, b: number): number {
  return lgamma(a) + lgamma(b) - lgamma(a + b);
}

/** Logistic function 1/(1+e^-x), safe for any finite or infinite x. */
export function expit(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** ln(e^a + e^b) without overflow. */
export function logAddExp(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/** expm1(e·l)/e, continuous at e = 0 (limit l). */
export function expm1Ratio(e: number, l: number): number {
  const el = e * l;
  if (Math.abs(el) < 1e-8) return l * (1 + el * (0.5 + el / 6));
  return Math.expm1(el) / e;
}
