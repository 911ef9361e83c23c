// A campaign file with two faults the validator must report with positions: holdoutPercent above
// its maximum, and clv12m, a misspelt audience field.
export const INVALID_CAMPAIGN = `id: bad
name: Bad
owner: o
status: active
schedule: { start: 2025-01-01 }
priority: 1
holdoutPercent: 80
frequencyCapDays: 7
segments:
  - id: s
    audience: { clv12m: { gt: 1 } }
    offer: { subject: Hi, html: h, text: t }
`;
