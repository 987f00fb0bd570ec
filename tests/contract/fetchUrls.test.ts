import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../contract/errors.js';
import { displayUrl, refuseCredentials, STRICT_POLICY, urlPolicy, urlProblem } from '../../contract/fetchUrls.js';

describe('the URLs gptoss fetch may request (pure)', () => {
  it('https to public hosts passes; everything else says why', () => {
    expect(urlProblem('https://huggingface.co/org/m/resolve/main/a.gguf?download=true', STRICT_POLICY)).toBeNull();
    expect(urlProblem('https://8.8.8.8/a.gguf', STRICT_POLICY)).toBeNull();
    expect(urlProblem('ftp://example.com/a.gguf', STRICT_POLICY)).toBe('must be an http or https URL');
    expect(urlProblem('file:///etc/passwd', STRICT_POLICY)).toBe('must be an http or https URL');
    expect(urlProblem('not a url', STRICT_POLICY)).toBe('not a URL');
    expect(urlProblem('http://example.com/a.gguf', STRICT_POLICY)).toBe(
      'must be an https URL (http only with --allow-http)',
    );
    expect(urlProblem('https://user:pw@example.com/a.gguf', STRICT_POLICY)).toBe(
      'must not carry credentials (user:password@)',
    );
    expect(urlProblem('https://token@example.com/a.gguf', STRICT_POLICY)).toBe(
      'must not carry credentials (user:password@)',
    );
    expect(urlProblem('https://169.254.169.254/latest/a.gguf', STRICT_POLICY)).toBe(
      '169.254.169.254 is a link-local address, not allowed without --allow-host',
    );
    // the URL parser's own spellings of 127.0.0.1 are the same address
    for (const host of ['127.1', '0x7f.1', '2130706433', '[::ffff:127.0.0.1]'])
      expect(urlProblem(`https://${host}/a.gguf`, STRICT_POLICY), host).toMatch(/ is a loopback address, not allowed/);
    expect(urlProblem('https://kubernetes.default.svc/a.gguf', STRICT_POLICY)).toBe(
      'kubernetes.default.svc is an in-cluster name, not allowed without --allow-host',
    );
  });

  it('what an administrator allows passes', () => {
    const policy = urlPolicy({ allowHttp: true, allowHosts: ['127.0.0.1', 'minio.storage.svc'] });
    expect(urlProblem('http://127.0.0.1:9000/a.gguf', policy)).toBeNull();
    expect(urlProblem('http://minio.storage.svc/a.gguf', policy)).toBeNull();
    expect(urlProblem('http://127.0.0.2/a.gguf', policy)).toBe(
      '127.0.0.2 is a loopback address, not allowed without --allow-host',
    );
    expect(urlProblem('https://user:pw@127.0.0.1/a.gguf', policy)).toBe('must not carry credentials (user:password@)');
    expect(() => urlPolicy({ allowHttp: false, allowHosts: ['10.0.0.0/33'] })).toThrow(
      new ConfigError('--allow-host 10.0.0.0/33: not a host name, IP address or CIDR'),
    );
  });

  it('messages show no credentials and no query string', () => {
    expect(displayUrl('https://user:s3cret@example.com/a.gguf')).toBe('https://***@example.com/a.gguf');
    expect(displayUrl('https://a:b@c@example.com/a.gguf')).toBe('https://***@example.com/a.gguf');
    expect(displayUrl('https://example.com/a.gguf?X-Amz-Signature=abc&x=1')).toBe('https://example.com/a.gguf?…');
    expect(displayUrl('https://example.com/a.gguf#t0ken')).toBe('https://example.com/a.gguf#…');
    expect(displayUrl('https://example.com/user@a.gguf')).toBe('https://example.com/user@a.gguf');
    // no URL: a password with a / in it
    expect(displayUrl('https://user:pa/ss@example.com/a.gguf')).toBe('https://***@example.com/a.gguf');
    expect(() => refuseCredentials(`https://user:p=ss@example.com/a.gguf=${'0'.repeat(64)}`)).toThrow(
      new ConfigError('https://***@example.com/a.gguf: must not carry credentials (user:password@)'),
    );
    expect(() => refuseCredentials('https://user:p=ss@example.com/a.gguf')).toThrow(
      new ConfigError('https://***@example.com/a.gguf: must not carry credentials (user:password@)'),
    );
    expect(() => refuseCredentials(`https://example.com/a.gguf=${'0'.repeat(64)}`)).not.toThrow();
  });
});
