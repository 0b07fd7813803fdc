import { TopicPartitions, deadLetterTopic, ConsumedTopics } from '@waitroom/contracts';
import { load, loadAll } from 'js-yaml';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { environmentVariableNames, validateEnvironment } from '../apps/waitroom/src/config/environment';

/**
 * No Docker engine runs here, so the Docker and Kubernetes files cannot be started in CI. What
 * can be checked is that they parse and agree with the jar stack and the code: image versions,
 * ports, topic lists and environment variables.
 */
const ROOT = join(__dirname, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const knownVariables = new Set(environmentVariableNames());
const expectedTopics = [
  ...Object.entries(TopicPartitions).map(([topic, partitions]) => `${topic}:${partitions}`),
  ...ConsumedTopics.map((topic) => `${deadLetterTopic(topic)}:1`),
].sort();

describe('deployment files agree with the code and the jar stack', () => {
  const compose = load(read('docker-compose.yml')) as any;

  it('creates exactly the contract topics in scripts/create-kafka-topics.sh and in compose kafka-init', () => {
    const scriptTopics = /TOPICS=\(([^)]*)\)/
      .exec(read('scripts/create-kafka-topics.sh'))![1]
      .trim()
      .split(/\s+/)
      .sort();
    expect(scriptTopics).toEqual(expectedTopics);
    const initCommand = JSON.stringify(compose.services['kafka-init']);
    const composeTopics = /for entry in ([^;]*);/.exec(initCommand)![1].trim().split(/\s+/).sort();
    expect(composeTopics).toEqual(expectedTopics);
  });

  it('runs the same Kafka version in compose as the jar stack pins', () => {
    const pinned = /<kafka.version>([^<]+)<\/kafka.version>/.exec(read('scripts/kafka/pom.xml'))![1];
    expect(compose.services.kafka.image).toBe(`apache/kafka:${pinned}`);
    expect(compose.services['kafka-init'].image).toBe(`apache/kafka:${pinned}`);
  });

  it('publishes the stack ports the scripts and tests use (Kafka 9092, Redis 6390, service 8080)', () => {
    expect(JSON.stringify(compose.services.kafka.ports)).toContain('9092:9092');
    expect(JSON.stringify(compose.services.redis.ports)).toContain('6390}:6379');
    expect(compose.services.waitroom.ports).toContain('8080:8080');
  });

  it('gives the service only variables it knows, with values it accepts', () => {
    const environment: Record<string, string> = {};
    for (const [name, value] of Object.entries(
      compose.services.waitroom.environment as Record<string, string>,
    )) {
      expect(knownVariables).toContain(name);
      // ${NAME:-default} -> default, as compose resolves it with nothing set.
      environment[name] = String(value).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
    }
    expect(() => validateEnvironment(environment)).not.toThrow();
  });

  it('has a Kubernetes manifest whose ConfigMap the service accepts and whose probes hit the health routes', () => {
    const documents = loadAll(read('deploy/kubernetes/waitroom.yaml')) as any[];
    const configMap = documents.find((d) => d?.kind === 'ConfigMap');
    const deployment = documents.find((d) => d?.kind === 'Deployment');
    for (const name of Object.keys(configMap.data))
      if (name !== 'NODE_OPTIONS') expect(knownVariables).toContain(name);
    expect(() =>
      validateEnvironment({
        ...configMap.data,
        ADMISSION_TOKEN_PRIVATE_KEY: 'set from the secret',
        ALTCHA_HMAC_KEY: 'set from the secret, 32 characters or more',
        ADMIN_API_KEY: 'x'.repeat(32),
      }),
    ).not.toThrow();
    const container = deployment.spec.template.spec.containers[0];
    expect(container.livenessProbe.httpGet.path).toBe('/health/live');
    expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
  });

  it('documents every variable in .env.example and nothing else', () => {
    const documented = read('.env.example')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => line.split('=')[0]);
    expect(new Set(documented)).toEqual(knownVariables);
  });

  it('runs the service with the same node flags in the Dockerfile as `npm start`', () => {
    const flagsOf = (words: string[]) => words.filter((word) => word.startsWith('--'));
    const startScript = (JSON.parse(read('package.json')) as { scripts: { start: string } }).scripts.start;
    const commands = read('Dockerfile')
      .split('\n')
      .filter((line) => line.startsWith('CMD '))
      .map((line) => JSON.parse(line.slice(4)) as string[]);
    const serviceCommand = commands.find((command) => command.some((word) => word.endsWith('/main.js')))!;
    expect(flagsOf(startScript.split(/\s+/)).length).toBeGreaterThan(0);
    expect(flagsOf(serviceCommand)).toEqual(flagsOf(startScript.split(/\s+/)));
  });
});
