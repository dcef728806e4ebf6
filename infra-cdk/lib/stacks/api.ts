// Api: the HTTP API (one route per HTTP function in functions.json, the Lambda authorizer
// in front of the routes that need a token), its throttled and logged stage, and the
// CloudFront distribution serving the frontend bucket and the API under one origin.
//
// Functions are referenced by their fixed names, so this stack needs no outputs from
// Compute. Routes live in one nested stack per domain (3 resources per route).

import { ArnFormat, Aws, Duration, NestedStack, RemovalPolicy, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EnvConfig, physicalName } from '../config';
import { Access, byDomain, FunctionSpec, HttpTrigger, Manifest } from '../manifest';
import { constructId } from '../names';
import { acknowledge } from '../nag';
import { functionName } from './compute';

export interface ApiStackProps extends StackProps {
  config: EnvConfig;
  manifest: Manifest;
  frontendBucket: s3.IBucket;
}

/** The HTTP API's throttling on every route: sustained requests per second and burst. */
export const THROTTLE = { rateLimit: 100, burstLimit: 200 };

export class ApiStack extends Stack {
  readonly httpApi: apigwv2.HttpApi;
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config, manifest } = props;

    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: physicalName(config, 'api'),
      description: `Kairos ${config.name} HTTP API`,
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: [config.corsAllowedOrigin],
        allowMethods: [
          apigwv2.CorsHttpMethod.GET,
          apigwv2.CorsHttpMethod.POST,
          apigwv2.CorsHttpMethod.PUT,
          apigwv2.CorsHttpMethod.PATCH,
          apigwv2.CorsHttpMethod.DELETE,
        ],
        allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
        maxAge: Duration.hours(1),
      },
    });

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      logGroupName: `/aws/apigateway/${physicalName(config, 'api')}`,
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: THROTTLE,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: apigateway.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            time: '$context.requestTime',
            method: '$context.httpMethod',
            route: '$context.routeKey',
            status: '$context.status',
            latency: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });

    const authorizer = this.addAuthorizer(config, manifest);
    for (const [domain, functions] of byDomain(manifest.functions)) {
      const http = functions.filter((f) => f.trigger.type === 'http');
      if (http.length > 0) new RoutesOfDomain(this, constructId(domain), config, domain, this.httpApi, http, authorizer);
    }

    this.distribution = this.addDistribution(config, props.frontendBucket);
  }

  /** The one Lambda authorizer: simple responses, payload 2.0, the Authorization header. */
  private addAuthorizer(config: EnvConfig, manifest: Manifest): apigwv2.HttpAuthorizer | undefined {
    const spec = manifest.functions.find((f) => f.trigger.type === 'authorizer');
    if (!spec) return undefined;
    const fnArn = functionArn(this, config, spec.name);
    const authorizer = new apigwv2.HttpAuthorizer(this, 'Authorizer', {
      httpApi: this.httpApi,
      authorizerName: spec.name,
      type: apigwv2.HttpAuthorizerType.LAMBDA,
      identitySource: ['$request.header.Authorization'],
      authorizerUri: `arn:${Aws.PARTITION}:apigateway:${Aws.REGION}:lambda:path/2015-03-31/functions/${fnArn}/invocations`,
      enableSimpleResponses: true,
      payloadFormatVersion: apigwv2.AuthorizerPayloadVersion.VERSION_2_0,
      // Off by default: a revoked session must stop working on its next request.
      resultsCacheTtl: Duration.seconds(config.authorizerCacheSeconds),
    });
    new lambda.CfnPermission(this, 'AuthorizerInvoke', {
      action: 'lambda:InvokeFunction',
      functionName: fnArn,
      principal: 'apigateway.amazonaws.com',
      sourceArn: this.formatArn({
        service: 'execute-api',
        resource: this.httpApi.apiId,
        resourceName: `authorizers/${authorizer.authorizerId}`,
      }),
    });
    return authorizer;
  }

  private addDistribution(config: EnvConfig, bucket: s3.IBucket): cloudfront.Distribution {
    // Imported, so CloudFront does not edit the bucket's policy from this stack (a cycle);
    // the Storage stack grants this account's distributions read access.
    const frontend = s3.Bucket.fromBucketAttributes(this, 'FrontendBucket', {
      bucketArn: bucket.bucketArn,
      bucketName: bucket.bucketName,
      bucketRegionalDomainName: bucket.bucketRegionalDomainName,
    });
    // Client-side routes (no file extension) get the app shell.
    const spaRewrite = new cloudfront.Function(this, 'SpaRewrite', {
      functionName: physicalName(config, 'spa-rewrite'),
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(
        "function handler(event) { var r = event.request; if (r.uri.indexOf('.') === -1) { r.uri = '/index.html'; } return r; }",
      ),
    });
    const customDomain = (config.cloudFrontDomainNames?.length ?? 0) > 0;

    const distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `Kairos ${config.name}: frontend and /v1 API`,
      defaultRootObject: 'index.html',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      minimumProtocolVersion: customDomain ? cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 : undefined,
      domainNames: customDomain ? config.cloudFrontDomainNames : undefined,
      certificate: customDomain
        ? acm.Certificate.fromCertificateArn(this, 'Certificate', config.cloudFrontCertificateArn!)
        : undefined,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(frontend),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
        functionAssociations: [{ function: spaRewrite, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
        compress: true,
      },
      additionalBehaviors: {
        '/v1/*': {
          origin: new origins.HttpOrigin(`${this.httpApi.apiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`, {
            protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
          }),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
    });
    acknowledge(distribution, {
      CFR1: 'Businesses and their customers may be anywhere; no country is excluded.',
      CFR2:
        'No WAF web ACL yet: the API is throttled at the stage (100 rps / 200 burst) and sign-in is rate limited ' +
        'in the application; a CloudFront web ACL must live in us-east-1 and is an open item (docs/infra.md).',
      CFR3: 'API requests are logged by the HTTP API access log; static frontend hits are not needed for operations.',
      ...(customDomain
        ? {}
        : {
            CFR4:
              'Without a custom domain the distribution uses the *.cloudfront.net certificate, whose TLS policy ' +
              'CloudFront fixes; environments with a domain set TLSv1.2_2021 through cloudFrontCertificateArn.',
          }),
    });
    Validations.of(distribution).acknowledge({
      id: '@aws-cdk/aws-cloudfront-origins:updateImportedBucketPolicyOac',
      reason: "Intended: the Storage stack's bucket policy already grants this account's distributions read access.",
    });
    return distribution;
  }
}

/** A function's ARN from its fixed name (no cross-stack reference). */
export function functionArn(stack: Stack, config: EnvConfig, name: string): string {
  return stack.formatArn({
    service: 'lambda',
    resource: 'function',
    resourceName: functionName(config, name),
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** Why a route without the authorizer is still safe (written into its nag acknowledgement). */
const OPEN_ROUTE_REASONS: Record<Exclude<Access, 'staff' | 'owner' | 'admin'>, string> = {
  public: 'A public route by design (sign-up, sign-in, public booking pages); the handler validates all input.',
  'customer-link': 'Authorized by the signed token in the path, which the handler verifies.',
  stripe: 'Stripe webhooks carry no bearer token; the handler verifies the Stripe signature.',
  google: 'Google push notifications carry no bearer token; the handler verifies the channel token.',
};

class RoutesOfDomain extends NestedStack {
  constructor(
    scope: Construct,
    id: string,
    config: EnvConfig,
    domain: string,
    httpApi: apigwv2.HttpApi,
    functions: FunctionSpec[],
    authorizer: apigwv2.HttpAuthorizer | undefined,
  ) {
    super(scope, id, { description: `Kairos ${config.name}: ${domain} routes` });
    for (const spec of functions) {
      const trigger = spec.trigger as HttpTrigger;
      const id = constructId(spec.name);
      const fnArn = functionArn(this, config, spec.name);
      const integration = new apigwv2.CfnIntegration(this, `${id}Integration`, {
        apiId: httpApi.apiId,
        integrationType: 'AWS_PROXY',
        integrationUri: fnArn,
        payloadFormatVersion: '2.0',
      });
      if (trigger.authorizer && !authorizer) throw new Error(`route of ${spec.name} needs the authorizer`);
      const route = new apigwv2.CfnRoute(this, `${id}Route`, {
        apiId: httpApi.apiId,
        routeKey: `${trigger.method} ${trigger.path}`,
        target: `integrations/${integration.ref}`,
        authorizationType: trigger.authorizer ? 'CUSTOM' : 'NONE',
        authorizerId: trigger.authorizer ? authorizer!.authorizerId : undefined,
      });
      if (!trigger.authorizer) {
        const reason = OPEN_ROUTE_REASONS[trigger.access as keyof typeof OPEN_ROUTE_REASONS];
        if (!reason) throw new Error(`route of ${spec.name}: access ${trigger.access} needs the authorizer`);
        acknowledge(route, { APIG4: reason });
      }
      new lambda.CfnPermission(this, `${id}Invoke`, {
        action: 'lambda:InvokeFunction',
        functionName: fnArn,
        principal: 'apigateway.amazonaws.com',
        // Only this route of this API may invoke the function.
        sourceArn: this.formatArn({
          service: 'execute-api',
          resource: httpApi.apiId,
          resourceName: `*/*${trigger.path}`,
        }),
      });
    }
  }
}
