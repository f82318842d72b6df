package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/claritru/privacy/shared/topology"
)

// Data is where the service keeps personal data: the one table,
// the customer-managed key that encrypts it, and the pepper that turns an
// email or phone into a subject key.
type Data struct {
	Key    awskms.Key
	Table  awsdynamodb.Table
	Pepper awssecretsmanager.Secret
}

// newData builds the table from topology.PrivacyTable, the same definition
// the local runner creates in DynamoDB Local, so the keys cannot drift.
func newData(scope constructs.Construct, id string, def topology.Table, cfg Config) Data {
	c := constructs.NewConstruct(scope, jsii.String(id))

	// A customer-managed key rather than the AWS-owned one, so that who may
	// decrypt personal data is written down in IAM and visible in CloudTrail
	// (policy: "security: encryption, role-based access").
	key := awskms.NewKey(c, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("ClariTru privacy records: table, pepper secret and stream dead letters"),
		EnableKeyRotation: jsii.Bool(true),
		// Without the key the retained table and its backups are unreadable.
		RemovalPolicy: removal(cfg),
	})

	table := awsdynamodb.NewTable(c, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey: stringKey(def.PartitionKey),
		SortKey:      stringKey(def.SortKey),
		// On-demand: request volume follows a web form, spiky and mostly idle.
		BillingMode: awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		Encryption:    awsdynamodb.TableEncryption_CUSTOMER_MANAGED,
		EncryptionKey: key,
		// TTL is the backstop of the retention sweep.
		TimeToLiveAttribute: jsii.String(def.TTLAttribute),
		// The notifier reads queued mail intents from the stream.
		Stream: awsdynamodb.StreamViewType(def.StreamView),
		// The request log must be kept for 24 months (11 CCR §7101) and the
		// consent log must prove consent (GDPR Art. 7(1), TCPA): a stack
		// deletion or a stray console click must not take them along. A
		// development stage (RetainData false) holds test data only.
		RemovalPolicy:      removal(cfg),
		DeletionProtection: jsii.Bool(cfg.RetainData),
	})
	for _, ix := range def.Indexes {
		props := &awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(ix.Name),
			PartitionKey:   stringKey(ix.PartitionKey),
			SortKey:        stringKey(ix.SortKey),
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		}
		// An index naming its attributes (the retention-expiry index)
		// carries those and the keys only: no second copy of the personal
		// data in the records it points to, and less to write and store.
		if len(ix.Include) > 0 {
			props.ProjectionType = awsdynamodb.ProjectionType_INCLUDE
			props.NonKeyAttributes = jsii.Strings(ix.Include...)
		}
		table.AddGlobalSecondaryIndex(props)
	}

	// The HMAC pepper of subject keys: keys carry no raw email or
	// phone, and without the pepper a leaked table cannot be joined back to
	// people by hashing guessed addresses.
	pepper := awssecretsmanager.NewSecret(c, jsii.String("SubjectPepper"), &awssecretsmanager.SecretProps{
		Description:   jsii.String("HMAC pepper for ClariTru subject keys; rotating it orphans every stored subject key"),
		EncryptionKey: key,
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength:     jsii.Number(64),
			ExcludePunctuation: jsii.Bool(true),
		},
		// Losing the pepper makes every subject key unreachable: export and
		// erasure requests could no longer find a person's records.
		RemovalPolicy: removal(cfg),
	})
	noRotation := jsii.String("The pepper is not a credential: it keys the HMAC that every stored subject key " +
		"(partition and index keys) is derived from. Automatic rotation would orphan all existing " +
		"records; a rotation is a planned re-keying migration, not a schedule.")
	cdknag.NagSuppressions_AddResourceSuppressions(pepper, &[]*cdknag.NagPackSuppression{
		{Id: jsii.String("AwsSolutions-SMG4"), Reason: noRotation},
		{Id: jsii.String("HIPAA.Security-SecretsManagerRotationEnabled"), Reason: noRotation},
	}, jsii.Bool(false))

	return Data{Key: key, Table: table, Pepper: pepper}
}

// stringKey is a key attribute; topology says all key attributes are strings.
// An empty name is no key (an index or table without a sort key).
func stringKey(name string) *awsdynamodb.Attribute {
	if name == "" {
		return nil
	}
	return &awsdynamodb.Attribute{Name: jsii.String(name), Type: awsdynamodb.AttributeType_STRING}
}
