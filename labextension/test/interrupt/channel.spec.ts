import {
  channelVerdict,
  KERNEL_EXTENSION,
  kernelExtensionVersion
} from '../../src/interrupt/channel';

describe('channelVerdict', () => {
  it.each(['0.7.2', '0.8.6', '0.8.7', '0.8.0rc0', '0.8.0-alpha.2'])(
    'works around coincident 1.x for kernel extension %s',
    version => {
      const verdict = channelVerdict(version);
      expect(verdict.workaround).toBe(true);
      expect(verdict.message).toContain(version);
      expect(verdict.message).toContain('coincident 1.x');
    }
  );

  it.each(['0.9.0-alpha.1', '0.9.0a1', '0.9.0', '0.10.3', '1.0.0'])(
    'leaves kernel extension %s alone',
    version => {
      const verdict = channelVerdict(version);
      expect(verdict.workaround).toBe(false);
      expect(verdict.message).toContain('needs no workaround');
    }
  );

  it('keeps the workarounds, and says why, when the version is unknown', () => {
    for (const version of [null, '', 'next']) {
      const verdict = channelVerdict(version);
      expect(verdict.workaround).toBe(true);
      expect(verdict.message).toContain('could not be read');
    }
  });
});

describe('kernelExtensionVersion', () => {
  const answer = (status: number, body: unknown) =>
    jest.fn(async () => ({
      ok: status === 200,
      json: async () => body
    })) as unknown as typeof fetch;

  it('reads the version from the package.json beside the extension', async () => {
    const fetcher = answer(200, { name: KERNEL_EXTENSION, version: '0.8.6' });
    expect(await kernelExtensionVersion('./extensions', fetcher)).toBe('0.8.6');
    expect((fetcher as jest.Mock).mock.calls[0][0]).toBe(
      `./extensions/${KERNEL_EXTENSION}/package.json`
    );
    await kernelExtensionVersion('/lab/extensions/', fetcher);
    expect((fetcher as jest.Mock).mock.calls[1][0]).toBe(
      `/lab/extensions/${KERNEL_EXTENSION}/package.json`
    );
  });

  it('gives null for a missing file, a bad body, a failed fetch or no URL', async () => {
    expect(await kernelExtensionVersion('/x', answer(404, {}))).toBeNull();
    expect(
      await kernelExtensionVersion('/x', answer(200, { version: 9 }))
    ).toBeNull();
    const failing = jest.fn(async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch;
    expect(await kernelExtensionVersion('/x', failing)).toBeNull();
    expect(await kernelExtensionVersion('', answer(200, {}))).toBeNull();
  });
});
