// Every Dockerfile rule with a Dockerfile it must flag and one it must leave alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig, dockerfileRules, lintDockerfile } from '../../src/lint/index.ts';

interface Case {
  catches: string;
  clean: string;
  /** line the finding must be reported on (default: the last line of `catches`) */
  line?: number;
}

const cases: Record<string, Case> = {
  DL3000: { catches: 'FROM alpine:3.20\nWORKDIR app', clean: 'FROM alpine:3.20\nWORKDIR /app\nWORKDIR $HOME\nWORKDIR C:\\\\app' },
  DL3001: { catches: 'FROM alpine:3.20\nRUN ps aux && top -b', clean: 'FROM alpine:3.20\nRUN echo topology > /tmp/ps.txt' },
  DL3002: { catches: 'FROM alpine:3.20\nUSER app\nUSER root', clean: 'FROM alpine:3.20\nUSER root\nRUN make\nUSER 1000:1000' },
  DL3003: { catches: 'FROM alpine:3.20\nRUN cd /usr/src && make', clean: 'FROM alpine:3.20\nWORKDIR /usr/src\nRUN make && echo cd' },
  DL3004: { catches: 'FROM alpine:3.20\nRUN sudo make install', clean: "FROM alpine:3.20\nRUN echo 'sudo is not run here'" },
  DL3006: { catches: 'FROM node', clean: 'FROM node:20 AS build\nFROM build\nFROM scratch\nFROM $BASE\nFROM node@sha256:aaaa' },
  DL3007: { catches: 'FROM node:latest', clean: 'FROM node:20\nFROM node:latest@sha256:aaaa' },
  DL3008: {
    catches: 'FROM debian:12\nRUN apt-get install -y --no-install-recommends curl=8.5.0-2 git',
    clean: 'FROM debian:12\nRUN apt-get install -y --no-install-recommends -t bookworm-backports curl=8.5.0-2 ./pkg.deb',
  },
  DL3009: {
    catches: 'FROM debian:12\nRUN apt-get update && apt-get install -y x=1',
    clean: 'FROM debian:12\nRUN apt-get update && apt-get install -y x=1 && rm -rf /var/lib/apt/lists/*\nRUN --mount=type=cache,target=/var/lib/apt/lists apt-get update',
  },
  DL3010: { catches: 'FROM alpine:3.20\nCOPY app.tar.gz /tmp/\nRUN tar -xzf /tmp/app.tar.gz', clean: 'FROM alpine:3.20\nCOPY app.tar.gz /tmp/\nRUN ls /tmp/app.tar.gz', line: 2 },
  DL3011: { catches: 'FROM alpine:3.20\nEXPOSE 80 70000/tcp', clean: 'FROM alpine:3.20\nEXPOSE 80 443/tcp 8000-9000' },
  DL3012: { catches: 'FROM alpine:3.20\nHEALTHCHECK CMD ["true"]\nHEALTHCHECK NONE', clean: 'FROM alpine:3.20\nHEALTHCHECK NONE\nFROM alpine:3.20\nHEALTHCHECK NONE' },
  DL3013: { catches: 'FROM python:3.12\nRUN pip install --no-cache-dir flask', clean: 'FROM python:3.12\nRUN pip install --no-cache-dir flask==3.0.0 -r requirements.txt && pip install --no-cache-dir ./dist/app.whl' },
  DL3014: { catches: 'FROM debian:12\nRUN apt-get install --no-install-recommends x=1', clean: 'FROM debian:12\nRUN apt-get -qq install --no-install-recommends x=1 && apt-get install -q -q --no-install-recommends y=1' },
  DL3015: { catches: 'FROM debian:12\nRUN apt-get install -y x=1', clean: 'FROM debian:12\nRUN apt-get install -y -o APT::Install-Recommends=false x=1 && apt-get install -y --no-install-recommends y=1' },
  DL3016: { catches: 'FROM node:20\nRUN npm install -g express', clean: 'FROM node:20\nRUN npm install && npm install -g express@4.19.2 @scope/pkg@1.0.0 ./local git+https://h/r.git#v1' },
  DL3018: { catches: 'FROM alpine:3.20\nRUN apk add --no-cache curl', clean: 'FROM alpine:3.20\nRUN apk add --no-cache --virtual .deps curl=8.9.0-r0 ./x.apk' },
  DL3019: { catches: 'FROM alpine:3.20\nRUN apk add curl=8.9.0-r0', clean: 'FROM alpine:3.20\nRUN apk add --no-cache curl=8.9.0-r0\nRUN --mount=type=cache,target=/var/cache/apk apk add curl=8.9.0-r0' },
  DL3020: { catches: 'FROM alpine:3.20\nADD app.py /app/', clean: 'FROM alpine:3.20\nADD rootfs.tar.xz /\nADD https://example.invalid/x.bin /x.bin' },
  DL3021: { catches: 'FROM alpine:3.20\nCOPY a b /dest', clean: 'FROM alpine:3.20\nCOPY a b /dest/\nCOPY a /dest' },
  DL3022: { catches: 'FROM alpine:3.20\nCOPY --from=builder /a /a', clean: 'FROM alpine:3.20 AS builder\nFROM alpine:3.20\nCOPY --from=builder /a /a\nCOPY --from=0 /a /a\nCOPY --from=nginx:1.27 /etc/nginx /etc/nginx' },
  DL3023: { catches: 'FROM alpine:3.20 AS app\nCOPY --from=app /a /a', clean: 'FROM alpine:3.20 AS base\nFROM alpine:3.20 AS app\nCOPY --from=base /a /a' },
  DL3024: { catches: 'FROM alpine:3.20 AS x\nFROM alpine:3.20 AS x', clean: 'FROM alpine:3.20 AS x\nFROM alpine:3.20 AS y' },
  DL3025: { catches: 'FROM alpine:3.20\nCMD node server.js', clean: 'FROM alpine:3.20\nCMD ["node", "server.js"]\nENTRYPOINT ["/init"]\nHEALTHCHECK CMD ["true"]' },
  DL3027: { catches: 'FROM debian:12\nRUN apt install -y curl', clean: 'FROM debian:12\nRUN apt-get install -y --no-install-recommends curl=1 && apt-cache policy' },
  DL3028: { catches: 'FROM ruby:3.3\nRUN gem install rails', clean: 'FROM ruby:3.3\nRUN gem install rails:7.1.0 && gem install bundler -v 2.5.0' },
  DL3029: { catches: 'FROM --platform=linux/amd64 alpine:3.20', clean: 'FROM --platform=$BUILDPLATFORM alpine:3.20' },
  DL3030: { catches: 'FROM centos:7\nRUN yum install httpd-2.4.6', clean: 'FROM centos:7\nRUN yum install -y httpd-2.4.6 && yum clean all' },
  DL3032: { catches: 'FROM centos:7\nRUN yum install -y httpd-2.4.6', clean: 'FROM centos:7\nRUN yum install -y httpd-2.4.6 && yum clean all' },
  DL3033: { catches: 'FROM centos:7\nRUN yum install -y httpd && yum clean all', clean: 'FROM centos:7\nARG V\nRUN yum install -y httpd-2.4.6 tool-${V} && yum clean all' },
  DL3034: { catches: 'FROM opensuse/leap:15.6\nRUN zypper install curl=8', clean: 'FROM opensuse/leap:15.6\nRUN zypper --non-interactive install curl=8 && zypper -n rm x' },
  DL3035: { catches: 'FROM opensuse/leap:15.6\nRUN zypper dup -y', clean: 'FROM opensuse/leap:15.6\nRUN zypper up -y' },
  DL3036: { catches: 'FROM opensuse/leap:15.6\nRUN zypper install -y curl=8', clean: 'FROM opensuse/leap:15.6\nRUN zypper install -y curl=8 && zypper clean' },
  DL3037: { catches: 'FROM opensuse/leap:15.6\nRUN zypper install -y curl && zypper clean', clean: 'FROM opensuse/leap:15.6\nRUN zypper install -y \'curl>=8\' ./x.rpm && zypper clean' },
  DL3038: { catches: 'FROM fedora:40\nRUN dnf install httpd-2.4.6 && dnf clean all', clean: 'FROM fedora:40\nRUN microdnf install --assumeyes httpd-2.4.6 && microdnf clean all' },
  DL3040: { catches: 'FROM fedora:40\nRUN dnf install -y httpd-2.4.6', clean: 'FROM fedora:40\nRUN dnf install -y httpd-2.4.6 && dnf clean all' },
  DL3041: { catches: 'FROM fedora:40\nRUN dnf install -y httpd && dnf clean all', clean: 'FROM fedora:40\nRUN dnf install -y httpd-2.4.6 && dnf module install -y nodejs:20 && dnf clean all' },
  DL3042: { catches: 'FROM python:3.12\nRUN pip install flask==3.0.0', clean: 'FROM python:3.12 AS base\nENV PIP_NO_CACHE_DIR=1\nFROM base\nRUN pip install flask==3.0.0\nRUN pipx install black==24.1.0' },
  DL3043: { catches: 'FROM alpine:3.20\nONBUILD MAINTAINER me', clean: 'FROM alpine:3.20\nONBUILD RUN echo hi' },
  DL3044: { catches: 'FROM alpine:3.20\nENV A=1 B=$A', clean: 'FROM alpine:3.20\nENV A=1\nENV B=$A C=${A}x PATH=/bin:$PATH' },
  DL3045: { catches: 'FROM alpine:3.20\nCOPY app.py app/', clean: 'FROM alpine:3.20 AS base\nWORKDIR /srv\nFROM base\nCOPY app.py app/\nCOPY a /abs/' },
  DL3046: { catches: 'FROM alpine:3.20\nRUN useradd -u 123456 app', clean: 'FROM alpine:3.20\nRUN useradd -l -u 123456 app && useradd -u 1000 other' },
  DL3047: { catches: 'FROM alpine:3.20\nRUN wget https://example.invalid/x', clean: 'FROM alpine:3.20\nRUN wget -q https://example.invalid/x && wget --progress=dot:giga https://example.invalid/y && wget -nv z' },
  DL3048: { catches: 'FROM alpine:3.20\nLABEL com.docker.thing=1', clean: 'FROM alpine:3.20\nLABEL org.opencontainers.image.title="x y" maintainer=me' },
  DL3057: { catches: 'FROM alpine:3.20', clean: 'FROM alpine:3.20 AS base\nFROM base\nHEALTHCHECK CMD ["true"]', line: 1 },
  DL3059: { catches: 'FROM alpine:3.20\nRUN echo a\nRUN echo b', clean: 'FROM alpine:3.20\nRUN echo a\nWORKDIR /x\nRUN echo b\nRUN --mount=type=cache,target=/c echo c\nRUN a && b\nRUN c' },
  DL3060: { catches: 'FROM node:20\nRUN yarn install', clean: 'FROM node:20\nRUN yarn install && yarn cache clean' },
  DL3061: { catches: 'LABEL a=b\nFROM alpine:3.20', clean: 'ARG V=3.20\nFROM alpine:$V\nLABEL a=b', line: 1 },
  DL3062: { catches: 'FROM golang:1.22\nRUN go install golang.org/x/tools/cmd/goimports@latest', clean: 'FROM golang:1.22\nRUN go install golang.org/x/tools/cmd/goimports@v0.20.0 && go install ./cmd/app' },
  DL3063: { catches: 'FROM alpine:3.20 AS scratch', clean: 'FROM alpine:3.20 AS build' },
  DL3064: { catches: 'FROM alpine:3.20\nARG GITHUB_TOKEN', clean: 'FROM alpine:3.20\nARG VERSION=1\nENV PATH=/bin' },
  DL3065: { catches: 'FROM --platform=$TARGETPLATFORM alpine:3.20', clean: 'FROM --platform=$BUILDPLATFORM alpine:3.20' },
  DL3066: { catches: 'FROM alpine:3.20\nUSER app', clean: 'FROM alpine:3.20\nARG UID=1000\nUSER 1000:1000\nUSER ${UID}' },
  DL3067: { catches: 'FROM alpine:3.20 AS a\nFROM scratch\nCOPY --from=a / /', clean: 'FROM alpine:3.20 AS a\nFROM scratch\nCOPY --from=a /app /' },
  DL4000: { catches: 'FROM alpine:3.20\nMAINTAINER me@example.invalid', clean: 'FROM alpine:3.20\nLABEL maintainer=me' },
  DL4001: { catches: 'FROM alpine:3.20\nRUN wget -q x\nRUN curl -fsS y', clean: 'FROM alpine:3.20\nRUN wget -q x\nFROM alpine:3.20\nRUN curl -fsS y' },
  DL4003: { catches: 'FROM alpine:3.20\nCMD ["a"]\nCMD ["b"]', clean: 'FROM alpine:3.20\nCMD ["a"]\nFROM alpine:3.20\nCMD ["b"]' },
  DL4004: { catches: 'FROM alpine:3.20\nENTRYPOINT ["a"]\nENTRYPOINT ["b"]', clean: 'FROM alpine:3.20\nENTRYPOINT ["a"]\nFROM alpine:3.20\nENTRYPOINT ["b"]' },
  DL4005: { catches: 'FROM alpine:3.20\nRUN ln -sf /bin/bash /bin/sh', clean: 'FROM alpine:3.20\nSHELL ["/bin/bash", "-c"]\nRUN ln -s /a /b' },
  DL4006: { catches: 'FROM alpine:3.20\nRUN wget -qO- x | sh', clean: 'FROM alpine:3.20\nSHELL ["/bin/ash", "-eo", "pipefail", "-c"]\nRUN wget -qO- x | sh\nRUN a || b' },
};

const only = (code: string) => {
  const cfg = defaultConfig();
  // run every rule at a visible level (DL3057 is "ignore" by default, as in hadolint)
  cfg.override = { warning: [code] };
  return cfg;
};

test('every rule has a catching and a clean case', () => {
  // DL3026 needs trusted registries configured (tests below); the label-schema rules are in dockerfile-labels.test.ts
  const elsewhere = ['DL3026', 'DL3049', 'DL3050', 'DL3051', 'DL3052', 'DL3053', 'DL3054', 'DL3055', 'DL3056', 'DL3058'];
  assert.deepEqual([...Object.keys(cases), ...elsewhere].sort(), dockerfileRules.map((r) => r.code).sort());
});

test('DL3026 allows only trusted registries (FROM, COPY --from, RUN --mount from=)', () => {
  const cfg = { ...defaultConfig(), trustedRegistries: ['docker.io', '*.corp.example'] };
  const text = [
    'FROM quay.io/org/app:1 AS a',
    'FROM registry.corp.example/base:1 AS b',
    'FROM alpine:3.20',
    'COPY --from=a /x /x',
    'COPY --from=ghcr.io/o/i:1 /y /y',
    'RUN --mount=type=bind,from=evil.example/i:1,target=/m true',
    '',
  ].join('\n');
  const lines = lintDockerfile(text, 'Dockerfile', cfg).filter((f) => f.code === 'DL3026').map((f) => f.line);
  assert.deepEqual(lines, [1, 5, 6]);
  assert.deepEqual(lintDockerfile(text, 'Dockerfile').filter((f) => f.code === 'DL3026'), [], 'no registries configured: rule is off');
});

for (const [code, c] of Object.entries(cases)) {
  test(`${code} catches`, () => {
    const lines = lintDockerfile(c.catches + '\n', 'Dockerfile', only(code)).filter((f) => f.code === code).map((f) => f.line);
    assert.ok(lines.length > 0, `${code} did not fire on:\n${c.catches}`);
    assert.equal(lines[0], c.line ?? c.catches.split('\n').length);
  });
  test(`${code} leaves the clean case alone`, () => {
    const hits = lintDockerfile(c.clean + '\n', 'Dockerfile', only(code)).filter((f) => f.code === code);
    assert.deepEqual(hits, [], `${code} fired on:\n${c.clean}`);
  });
}

test('ONBUILD RUN is checked by shell rules', () => {
  const hits = lintDockerfile('FROM debian:12\nONBUILD RUN sudo make\n', 'Dockerfile').filter((f) => f.code === 'DL3004');
  assert.deepEqual(hits.map((h) => h.line), [2]);
});
