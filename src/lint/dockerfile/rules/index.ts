// Every Dockerfile rule, in code order.
import type { Rule } from '../rule.ts';
import { apkRules } from './apk.ts';
import { aptRules } from './apt.ts';
import { commandRules } from './commands.ts';
import { goRules } from './go.ts';
import { imageRules } from './image.ts';
import { instructionRules } from './instructions.ts';
import { labelRules } from './labels.ts';
import { nodeRubyRules } from './node-ruby.ts';
import { pipRules } from './pip.ts';
import { rpmRules } from './rpm.ts';

export const dockerfileRules: Rule[] = [
  ...imageRules,
  ...instructionRules,
  ...labelRules,
  ...aptRules,
  ...apkRules,
  ...pipRules,
  ...nodeRubyRules,
  ...rpmRules,
  ...commandRules,
  ...goRules,
].sort((a, b) => a.code.localeCompare(b.code));
