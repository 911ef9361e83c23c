// Quasi-Newton minimisation (BFGS with a strong-Wolfe line search) for small, smooth problems.

/** Evaluates f(x) and writes ∇f(x) into `grad`. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export interface MinimizeOptions {
  /** Stop when max |∇f| falls below this. */
  gradTol?: number;
  /** Stop when the relative decrease of f in one iteration falls below this (after a few iterations). */
  fTol?: number;
  maxIterations?: number;
  /**
   * Initial inverse Hessian (n×n, row-major), e.g. from a fit on a subsample. Without it the
   * identity is used and the first step is scaled down to unit length.
   */
  inverseHessian?: ArrayLike<number>;
  /**
   * Relative noise level of f: a step that changes f by less than `fNoise·|f|` is judged by the
   * gradient alone (Hager & Zhang's approximate Wolfe conditions), so the search keeps making
   * progress on the gradient when f no longer resolves the decrease. Default 1e-12.
   */
  fNoise?: number;
}

export interface MinimizeResult {
  x: Float64Array;
  f: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
  message: string;
  /** Final inverse-Hessian approximation (n×n, row-major). */
  inverseHessian: Float64Array;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] as number));
  return m;
}

/**
 * BFGS on the inverse Hessian, strong Wolfe line search (Nocedal & Wright, algorithms 3.5/3.6,
 * cubic interpolation in the zoom phase). Non-finite objective values are treated as +∞ so the
 * line search backs off from regions where the model cannot be evaluated.
 */
export function minimizeBfgs(
  fn: Objective,
  x0: ArrayLike<number>,
  options: MinimizeOptions = {},
): MinimizeResult {
  const n = x0.length;
  const gradTol = options.gradTol ?? 1e-9;
  const fTol = options.fTol ?? 1e-15;
  const maxIterations = options.maxIterations ?? 500;
  const c1 = 1e-4;
  const c2 = 0.9;

  let evaluations = 0;
  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);
  const p = new Float64Array(n);
  const s = new Float64Array(n);
  const y = new Float64Array(n);
  const Hy = new Float64Array(n);
  const H = new Float64Array(n * n);
  if (options.inverseHessian) {
    if (options.inverseHessian.length !== n * n) throw new Error('inverseHessian must be n×n');
    H.set(Array.from(options.inverseHessian));
  } else {
    for (let i = 0; i < n; i++) H[i * n + i] = 1;
  }
  const fNoise = options.fNoise ?? 1e-12;

  const evalAt = (alpha: number): number => {
    for (let i = 0; i < n; i++) xNew[i] = (x[i] as number) + alpha * (p[i] as number);
    evaluations++;
    const v = fn(xNew, gNew);
    return Number.isFinite(v) && gNew.every(Number.isFinite) ? v : Number.POSITIVE_INFINITY;
  };

  evaluations++;
  let f = fn(x, g);
  if (!Number.isFinite(f)) {
    return {
      x,
      f,
      iterations: 0,
      evaluations,
      converged: false,
      message: 'objective not finite at start',
      inverseHessian: H,
    };
  }
  let iterations = 0;
  let message = 'maximum iterations reached';
  let converged = false;
  let firstStep = !options.inverseHessian;

  while (iterations < maxIterations) {
    if (maxAbs(g) < gradTol) {
      converged = true;
      message = 'gradient below tolerance';
      break;
    }
    // p = -H g
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let j = 0; j < n; j++) v -= (H[i * n + j] as number) * (g[j] as number);
      p[i] = v;
    }
    let dg0 = dot(p, g);
    if (!(dg0 < 0)) {
      // Not a descent direction: reset to steepest descent.
      H.fill(0);
      for (let i = 0; i < n; i++) {
        H[i * n + i] = 1;
        p[i] = -(g[i] as number);
      }
      dg0 = dot(p, g);
    }
    // Line search: strong Wolfe, or approximate Wolfe (Hager & Zhang 2005) when the change of f is
    // within its noise level: 0.9·φ'(0) <= φ'(α) <= -0.8·φ'(0) and f(α) <= f(0) + fNoise·|f(0)|.
    const fLimit = f + fNoise * Math.abs(f);
    const approxWolfe = (fa: number, dga: number): boolean =>
      fa <= fLimit && dga >= c2 * dg0 && dga <= -0.8 * dg0;
    let alpha = firstStep ? Math.min(1, 1 / Math.max(1e-12, maxAbs(p))) : 1;
    let alphaPrev = 0;
    let fPrev = f;
    let dgPrev = dg0;
    let found = false;
    let fNew = f;
    const zoom = (lo: number, hi: number, fLo: number, dgLo: number, fHi: number, dgHi: number): boolean => {
      for (let k = 0; k < 60; k++) {
        // Cubic interpolation between lo and hi, safeguarded by bisection.
        let a: number;
        const d1 = dgLo + dgHi - (3 * (fLo - fHi)) / (lo - hi);
        const disc = d1 * d1 - dgLo * dgHi;
        if (Number.isFinite(fHi) && disc >= 0) {
          const d2 = Math.sign(hi - lo) * Math.sqrt(disc);
          a = hi - ((hi - lo) * (dgHi + d2 - d1)) / (dgHi - dgLo + 2 * d2);
          const lower = Math.min(lo, hi);
          const upper = Math.max(lo, hi);
          const margin = 0.1 * (upper - lower);
          if (!(a > lower + margin && a < upper - margin)) a = 0.5 * (lo + hi);
        } else {
          a = 0.5 * (lo + hi);
        }
        const fa = evalAt(a);
        const dga = Number.isFinite(fa) ? dot(gNew, p) : Number.NaN;
        if (approxWolfe(fa, dga)) {
          fNew = fa;
          alpha = a;
          return true;
        }
        if (!Number.isFinite(fa) || fa > f + c1 * a * dg0 || fa >= fLo) {
          hi = a;
          fHi = fa;
          dgHi = dga;
        } else {
          if (Math.abs(dga) <= -c2 * dg0) {
            fNew = fa;
            alpha = a;
            return true;
          }
          if (dga * (hi - lo) >= 0) {
            hi = lo;
            fHi = fLo;
            dgHi = dgLo;
          }
          lo = a;
          fLo = fa;
          dgLo = dga;
        }
        if (Math.abs(hi - lo) < 1e-16 * Math.max(1, Math.abs(lo))) break;
      }
      // Accept the best point if it decreased f at all.
      if (fLo < f && lo > 0) {
        alpha = lo;
        fNew = evalAt(lo);
        return true;
      }
      return false;
    };
    for (let k = 0; k < 50; k++) {
      const fa = evalAt(alpha);
      if (Number.isFinite(fa) && approxWolfe(fa, dot(gNew, p))) {
        fNew = fa;
        found = true;
        break;
      }
      if (!Number.isFinite(fa) || fa > f + c1 * alpha * dg0 || (k > 0 && fa >= fPrev)) {
        found = zoom(alphaPrev, alpha, fPrev, dgPrev, fa, Number.isFinite(fa) ? dot(gNew, p) : Number.NaN);
        break;
      }
      const dga = dot(gNew, p);
      if (Math.abs(dga) <= -c2 * dg0) {
        fNew = fa;
        found = true;
        break;
      }
      if (dga >= 0) {
        found = zoom(alpha, alphaPrev, fa, dga, fPrev, dgPrev);
        break;
      }
      alphaPrev = alpha;
      fPrev = fa;
      dgPrev = dga;
      alpha *= 2;
    }
    if (!found) {
      message = 'line search failed';
      converged = maxAbs(g) < gradTol * 1e3;
      break;
    }
    firstStep = false;
    iterations++;
    for (let i = 0; i < n; i++) {
      s[i] = (xNew[i] as number) - (x[i] as number);
      y[i] = (gNew[i] as number) - (g[i] as number);
    }
    const fOld = f;
    x.set(xNew);
    g.set(gNew);
    f = fNew;
    const sy = dot(s, y);
    if (sy > 1e-300) {
      if (iterations === 1 && !options.inverseHessian) {
        // Scale the initial inverse Hessian (N&W eq. 6.20).
        const scale = sy / dot(y, y);
        H.fill(0);
        for (let i = 0; i < n; i++) H[i * n + i] = scale;
      }
      // H ← (I - ρ s yᵀ) H (I - ρ y sᵀ) + ρ s sᵀ
      const rho = 1 / sy;
      for (let i = 0; i < n; i++) {
        let v = 0;
        for (let j = 0; j < n; j++) v += (H[i * n + j] as number) * (y[j] as number);
        Hy[i] = v;
      }
      const yHy = dot(y, Hy);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const si = s[i] as number;
          const sj = s[j] as number;
          H[i * n + j] =
            (H[i * n + j] as number) -
            rho * ((Hy[i] as number) * sj + si * (Hy[j] as number)) +
            (rho * rho * yHy + rho) * si * sj;
        }
      }
    }
    if (
      iterations > 3 &&
      Math.abs(fOld - f) <= fTol * Math.max(1, Math.abs(f)) &&
      maxAbs(g) < gradTol * 1e3
    ) {
      converged = true;
      message = 'objective change below tolerance';
      break;
    }
  }
  return { x, f, iterations, evaluations, converged, message, inverseHessian: H };
}

/**
 * A start for a fit on the full data, from a loose fit on a subsample: the subsample's optimum, and its
 * Hessian there (finite differences of the analytic gradient), a close estimate of the full data's, so
 * the refinement takes near-Newton steps from the start. `x0` unchanged when the subsample fit fails.
 */
export function warmStartFromSubsample(
  subObjective: Objective,
  x0: number[],
): { x0: number[]; inverseHessian?: Float64Array | undefined } {
  const pre = minimizeBfgs(subObjective, x0, { gradTol: 1e-7, maxIterations: 1000 });
  if (!pre.converged || !pre.x.every(Number.isFinite)) return { x0 };
  return {
    x0: Array.from(pre.x),
    inverseHessian: inverseHessianAt(subObjective, pre.x) ?? pre.inverseHessian,
  };
}

/**
 * Inverse of the Hessian of `fn` at `x`, by central differences of the analytic gradient (2n gradient
 * evaluations, step h in each coordinate), symmetrised; null when it is not positive definite.
 */
export function inverseHessianAt(fn: Objective, x: ArrayLike<number>, h = 1e-4): Float64Array | null {
  const n = x.length;
  const Hm = new Float64Array(n * n);
  const xp = Float64Array.from(x);
  const gp = new Float64Array(n);
  const gm = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const xj = x[j] as number;
    xp[j] = xj + h;
    const fp = fn(xp, gp);
    xp[j] = xj - h;
    const fm = fn(xp, gm);
    xp[j] = xj;
    if (!Number.isFinite(fp) || !Number.isFinite(fm)) return null;
    for (let i = 0; i < n; i++) Hm[i * n + j] = ((gp[i] as number) - (gm[i] as number)) / (2 * h);
  }
  // Symmetrise, then invert through the Cholesky factor (fails unless positive definite).
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let v = 0.5 * ((Hm[i * n + j] as number) + (Hm[j * n + i] as number));
      for (let k = 0; k < j; k++) v -= (L[i * n + k] as number) * (L[j * n + k] as number);
      if (i === j) {
        if (!(v > 0)) return null;
        L[i * n + i] = Math.sqrt(v);
      } else {
        L[i * n + j] = v / (L[j * n + j] as number);
      }
    }
  }
  const inv = new Float64Array(n * n);
  const col = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    // Solve L Lᵀ y = e_c.
    for (let i = 0; i < n; i++) {
      let v = i === c ? 1 : 0;
      for (let k = 0; k < i; k++) v -= (L[i * n + k] as number) * (col[k] as number);
      col[i] = v / (L[i * n + i] as number);
    }
    for (let i = n - 1; i >= 0; i--) {
      let v = col[i] as number;
      for (let k = i + 1; k < n; k++) v -= (L[k * n + i] as number) * (inv[k * n + c] as number);
      inv[i * n + c] = v / (L[i * n + i] as number);
    }
  }
  return inv.every(Number.isFinite) ? inv : null;
}
