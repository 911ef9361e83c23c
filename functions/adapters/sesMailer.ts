import { GetAccountCommand, type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';

export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  headers: { name: string; value: string }[];
  /** Message tags: identify run, campaign, segment and send; never personal data. */
  tags: Record<string, string>;
  configurationSet?: string | undefined;
}

export interface Mailer {
  send(email: OutgoingEmail): Promise<{ messageId: string }>;
  quota(): Promise<{ maxSendRate: number; max24HourSend: number; sentLast24Hours: number } | undefined>;
}

/** SES v2 SendEmail with Simple content, so custom headers (List-Unsubscribe) are kept. */
export class SesMailer implements Mailer {
  constructor(private readonly ses: SESv2Client) {}

  async send(email: OutgoingEmail): Promise<{ messageId: string }> {
    const out = await this.ses.send(
      new SendEmailCommand({
        FromEmailAddress: email.from,
        Destination: { ToAddresses: [email.to] },
        ConfigurationSetName: email.configurationSet,
        EmailTags: Object.entries(email.tags).map(([Name, Value]) => ({ Name, Value: tagValue(Value) })),
        Content: {
          Simple: {
            Subject: { Data: email.subject, Charset: 'UTF-8' },
            Body: {
              Html: { Data: email.html, Charset: 'UTF-8' },
              Text: { Data: email.text, Charset: 'UTF-8' },
            },
            Headers: email.headers.map((h) => ({ Name: h.name, Value: h.value })),
          },
        },
      }),
    );
    if (!out.MessageId) throw new Error('SES accepted the message but returned no MessageId');
    return { messageId: out.MessageId };
  }

  /** The account's sending limits, where SES exposes them (not on every endpoint). */
  async quota(): Promise<
    { maxSendRate: number; max24HourSend: number; sentLast24Hours: number } | undefined
  > {
    try {
      const out = await this.ses.send(new GetAccountCommand({}));
      const q = out.SendQuota;
      if (!q || q.MaxSendRate === undefined || q.Max24HourSend === undefined) return undefined;
      return {
        maxSendRate: q.MaxSendRate,
        max24HourSend: q.Max24HourSend,
        sentLast24Hours: q.SentLast24Hours ?? 0,
      };
    } catch {
      return undefined;
    }
  }
}

/** SES tag values allow only ASCII letters, digits, `_`, `-`, `.`, `@`. */
export function tagValue(value: string): string {
  return value.replace(/[^A-Za-z0-9_.@-]/g, '_').slice(0, 256);
}
