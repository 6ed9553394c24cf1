import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CryptoLambdaError } from '../../../domain/index.js';
import type { TopicConfig } from '../../event-log.js';
import { LOG_ERRORS } from '../../event-log.js';
import { ioError, isErrno, isTmpFile, replaceFile } from './fs-util.js';

const CONFIG_FILE_NAME = 'topic.json';
const TOPIC_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$/;

interface TopicFile {
  topic: string;
  config: TopicConfig;
}

export function checkTopicName(topic: string): void {
  if (!TOPIC_NAME.test(topic)) {
    throw new CryptoLambdaError(
      LOG_ERRORS.invalidArgument,
      `bad topic name ${JSON.stringify(topic)}: use 1-200 of A-Z a-z 0-9 . _ -, not starting with . or -`,
    );
  }
}

export function checkTopicConfig(topic: string, config: TopicConfig): TopicConfig {
  const { partitions, retentionMs, retentionBytes } = config;
  const bad = (what: string) =>
    new CryptoLambdaError(LOG_ERRORS.invalidArgument, `topic ${topic}: ${what} must be a positive integer`);
  if (!Number.isInteger(partitions) || partitions < 1) throw bad('partitions');
  if (retentionMs !== undefined && !(Number.isInteger(retentionMs) && retentionMs > 0))
    throw bad('retentionMs');
  if (retentionBytes !== undefined && !(Number.isInteger(retentionBytes) && retentionBytes > 0)) {
    throw bad('retentionBytes');
  }
  const normal: TopicConfig = { partitions };
  if (retentionMs !== undefined) normal.retentionMs = retentionMs;
  if (retentionBytes !== undefined) normal.retentionBytes = retentionBytes;
  return normal;
}

export function sameConfig(a: TopicConfig, b: TopicConfig): boolean {
  return (
    a.partitions === b.partitions && a.retentionMs === b.retentionMs && a.retentionBytes === b.retentionBytes
  );
}

/** Persists a topic's config as `<topicDir>/topic.json`, atomically. */
export function writeTopicConfig(topicDir: string, topic: string, config: TopicConfig): Promise<void> {
  const file: TopicFile = { topic, config };
  return replaceFile(join(topicDir, CONFIG_FILE_NAME), `${JSON.stringify(file)}\n`);
}

/** Every topic under `topicsDir` that has a config file; directories without one are ignored. */
export async function readTopicConfigs(topicsDir: string): Promise<Map<string, TopicConfig>> {
  const configs = new Map<string, TopicConfig>();
  for (const topic of await readdir(topicsDir)) {
    const path = join(topicsDir, topic, CONFIG_FILE_NAME);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) continue;
      throw ioError(`could not read ${path}`, error);
    }
    await removeTmpFiles(join(topicsDir, topic));
    try {
      const file = JSON.parse(text) as TopicFile;
      configs.set(topic, checkTopicConfig(topic, file.config));
    } catch (error) {
      throw new CryptoLambdaError(LOG_ERRORS.corrupt, `${path} is not a valid topic config`, {
        cause: error,
      });
    }
  }
  return configs;
}

async function removeTmpFiles(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (isTmpFile(name)) await rm(join(dir, name), { force: true });
  }
}
