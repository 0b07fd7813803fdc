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

  it('runs the sentinel profile as the jar stack runs STACK_REDIS=sentinel (ports, master name, timings)', () => {
    const common = read('scripts/lib/common.sh');
    const stack = read('scripts/stack.sh');
    const masterName = /SENTINEL_MASTER="([^"]+)"/.exec(common)![1];
    const portOffset = Number(/SENTINEL_PORTS=\(\$\(\(REDIS_PORT \+ (\d+)\)\)/.exec(common)![1]);
    const jarSetting = (name: string) =>
      new RegExp(`sentinel ${name} \\$SENTINEL_MASTER (\\d+)`).exec(stack)![1];
    const commandOf = (service: string) => (compose.services[service].command as string[]).join(' ');
    // What scripts/stack.sh starts in Docker for STACK_REDIS=sentinel.
    const started = /then echo (redis-master redis-replica) "\$\{SENTINELS\[@\]\}"/
      .exec(stack)![1]
      .split(' ');
    const sentinels = /SENTINELS=\(([^)]*)\)/.exec(stack)![1].split(' ');
    for (const service of [...started, ...sentinels]) {
      expect(compose.services[service].profiles).toEqual(['sentinel']);
      // Sentinel hands out and reconfigures by address: 127.0.0.1 must be the host's loopback everywhere.
      expect(compose.services[service].network_mode).toBe('host');
    }
    expect(commandOf('redis-master')).toContain('--port 6390 ');
    expect(commandOf('redis-replica')).toContain('--port 6391 ');
    expect(commandOf('redis-replica')).toContain('replicaof 127.0.0.1 6390');
    expect(sentinels.map((service) => compose.services[service].environment.SENTINEL_PORT)).toEqual(
      [6390, 6391, 6392].map((port) => String(port + portOffset)),
    );
    expect(stack).toContain('sentinel monitor $SENTINEL_MASTER 127.0.0.1 $master 2');
    for (const service of sentinels) {
      const command = commandOf(service);
      expect(command).toContain(`sentinel monitor ${masterName} 127.0.0.1 6390 2`);
      for (const setting of ['down-after-milliseconds', 'failover-timeout'])
        expect(command).toContain(`sentinel ${setting} ${masterName} ${jarSetting(setting)}`);
    }
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
