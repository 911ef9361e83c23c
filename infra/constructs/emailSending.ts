import { CfnOutput } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import {
  ConfigurationSet,
  EmailIdentity,
  EmailSendingEvent,
  EventDestination,
  Identity,
  MailFromBehaviorOnMxFailure,
  SuppressionReasons,
} from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';

export interface EmailSendingProps {
  domain: string;
  /** Sub-domain for the custom MAIL FROM: bounces go there and SPF aligns with the From domain. */
  mailFromSubdomain: string;
}

/**
 * The SES side of sending: the domain identity with Easy DKIM and a custom MAIL FROM (both needed for
 * DMARC alignment, see docs/deploy.md), and the configuration set every email goes out with:
 * reputation metrics on (the bounce and complaint alarms read them) and events published to the
 * default EventBridge bus, where the SES events function picks them up.
 */
export class EmailSending extends Construct {
  readonly identity: EmailIdentity;
  readonly configurationSet: ConfigurationSet;
  readonly mailFromDomain: string;

  constructor(scope: Construct, id: string, props: EmailSendingProps) {
    super(scope, id);
    this.configurationSet = new ConfigurationSet(this, 'ConfigurationSet', {
      // SES's account-level list is a second layer; our suppression table is the source of truth.
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      reputationMetrics: true,
      sendingEnabled: true,
    });
    this.configurationSet.addEventDestination('ToEventBridge', {
      destination: EventDestination.eventBus(EventBus.fromEventBusName(this, 'DefaultBus', 'default')),
      events: [
        EmailSendingEvent.SEND,
        EmailSendingEvent.DELIVERY,
        EmailSendingEvent.BOUNCE,
        EmailSendingEvent.COMPLAINT,
        EmailSendingEvent.REJECT,
        EmailSendingEvent.OPEN,
        EmailSendingEvent.CLICK,
        EmailSendingEvent.RENDERING_FAILURE,
        EmailSendingEvent.DELIVERY_DELAY,
      ],
    });

    this.mailFromDomain = `${props.mailFromSubdomain}.${props.domain}`;
    this.identity = new EmailIdentity(this, 'Identity', {
      identity: Identity.domain(props.domain),
      // Easy DKIM (the default signing): SES rotates the keys; the stack outputs the three CNAMEs.
      dkimSigning: true,
      mailFromDomain: this.mailFromDomain,
      // A MAIL FROM without its MX record would fall back to amazonses.com and break SPF alignment.
      mailFromBehaviorOnMxFailure: MailFromBehaviorOnMxFailure.REJECT_MESSAGE,
      configurationSet: this.configurationSet,
    });

    const dkim = [
      [this.identity.dkimDnsTokenName1, this.identity.dkimDnsTokenValue1],
      [this.identity.dkimDnsTokenName2, this.identity.dkimDnsTokenValue2],
      [this.identity.dkimDnsTokenName3, this.identity.dkimDnsTokenValue3],
    ] as const;
    dkim.forEach(([name, value], i) => {
      new CfnOutput(this, `DkimRecord${i + 1}`, {
        description: 'DNS: CNAME for Easy DKIM',
        value: `${name} CNAME ${value}`,
      });
    });
    new CfnOutput(this, 'MailFromRecords', {
      description: 'DNS: MX and SPF TXT records of the custom MAIL FROM domain',
      value: `${this.mailFromDomain} MX 10 feedback-smtp.${this.identity.stack.region}.amazonses.com; ${this.mailFromDomain} TXT "v=spf1 include:amazonses.com ~all"`,
    });
  }
}
