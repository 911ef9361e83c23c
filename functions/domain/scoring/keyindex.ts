// Open-addressing hash index over tuples of doubles (1 to 3 components) → dense ids 0..size-1.
// Used to group customers into sufficient statistics and to memoise per-(x, T) terms without
// allocating per customer (no string keys, no per-entry objects).

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

function mix(h: number, v: number): number {
  f64[0] = v === 0 ? 0 : v; // fold -0 into 0
  h = Math.imul(h ^ (u32[0] as number), 0x9e3779b1);
  h = Math.imul(h ^ (u32[1] as number), 0x85ebca6b);
  return h ^ (h >>> 15);
}

export class KeyIndex {
  readonly dims: number;
  size = 0;
  private mask: number;
  private slots: Int32Array;
  keys: Float64Array;

  constructor(dims: 1 | 2 | 3, expected = 1024) {
    this.dims = dims;
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.mask = cap - 1;
    this.slots = new Int32Array(cap).fill(-1);
    this.keys = new Float64Array(Math.max(16, expected) * dims);
  }

  private hash(a: number, b: number, c: number): number {
    let h = mix(0x12345678, a);
    if (this.dims > 1) h = mix(h, b);
    if (this.dims > 2) h = mix(h, c);
    return h & this.mask;
  }

  /** The id of (a, b, c), or -1. */
  get(a: number, b = 0, c = 0): number {
    const d = this.dims;
    const keys = this.keys;
    let i = this.hash(a, b, c);
    for (;;) {
      const id = this.slots[i] as number;
      if (id < 0) return -1;
      const o = id * d;
      if (keys[o] === a && (d < 2 || keys[o + 1] === b) && (d < 3 || keys[o + 2] === c)) return id;
      i = (i + 1) & this.mask;
    }
  }

  /** The id of (a, b, c), inserting it when new. */
  add(a: number, b = 0, c = 0): number {
    const d = this.dims;
    let keys = this.keys;
    let i = this.hash(a, b, c);
    for (;;) {
      const id = this.slots[i] as number;
      if (id < 0) break;
      const o = id * d;
      if (keys[o] === a && (d < 2 || keys[o + 1] === b) && (d < 3 || keys[o + 2] === c)) return id;
      i = (i + 1) & this.mask;
    }
    const id = this.size++;
    if ((id + 1) * d > keys.length) {
      const grown = new Float64Array(keys.length * 2);
      grown.set(keys);
      this.keys = keys = grown;
    }
    const o = id * d;
    keys[o] = a;
    if (d > 1) keys[o + 1] = b;
    if (d > 2) keys[o + 2] = c;
    this.slots[i] = id;
    if (this.size * 2 > this.mask) this.rehash();
    return id;
  }

  private rehash(): void {
    const cap = (this.mask + 1) * 2;
    this.mask = cap - 1;
    this.slots = new Int32Array(cap).fill(-1);
    const d = this.dims;
    for (let id = 0; id < this.size; id++) {
      const o = id * d;
      let i = this.hash(
        this.keys[o] as number,
        d > 1 ? (this.keys[o + 1] as number) : 0,
        d > 2 ? (this.keys[o + 2] as number) : 0,
      );
      while ((this.slots[i] as number) >= 0) i = (i + 1) & this.mask;
      this.slots[i] = id;
    }
  }

  /** Component `k` of key `id`. */
  key(id: number, k = 0): number {
    return this.keys[id * this.dims + k] as number;
  }
}
