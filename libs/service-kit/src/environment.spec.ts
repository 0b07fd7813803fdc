import { IsInt, IsString, Min } from 'class-validator';
import { Transform } from 'class-transformer';
import {
  configurationOrExit,
  InvalidConfigurationError,
  OptionalVariable,
  readEnvironment,
  toInt,
} from './environment';

class Schema {
  @Transform(toInt) @IsInt() @Min(1) PORT = 8080;
  @OptionalVariable() @IsString() NAME?: string;
}
const NAMES = ['PORT', 'NAME'];

describe('readEnvironment', () => {
  it('reads only the named variables; the defaults stand for the others', () => {
    expect(readEnvironment(Schema, { PORT: '9000', OTHER: 'x' }, NAMES)).toEqual({ PORT: 9000 });
  });

  it('checks an empty variable, unless empty means unset', () => {
    expect(() => readEnvironment(Schema, { PORT: '' }, NAMES)).toThrow(/^Invalid configuration: PORT: /);
    expect(readEnvironment(Schema, { PORT: '' }, NAMES, { emptyMeansUnset: true }).PORT).toBe(8080);
  });

  it('takes an empty optional variable for an absent one', () => {
    expect(readEnvironment(Schema, { NAME: '' }, NAMES).NAME).toBeUndefined();
  });

  it('names the first bad variable in one line', () => {
    expect(() => readEnvironment(Schema, { PORT: '0' }, NAMES)).toThrow(
      new InvalidConfigurationError('Invalid configuration: PORT: PORT must not be less than 1'),
    );
  });
});

describe('configurationOrExit', () => {
  let exit: jest.SpyInstance;
  let stderr: jest.SpyInstance;

  beforeEach(() => {
    exit = jest.spyOn(process, 'exit').mockImplementation((code) => {
      throw new Error(`exit ${code}`);
    });
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => jest.restoreAllMocks());

  it('returns the configuration', () => {
    expect(configurationOrExit(() => 42)).toBe(42);
    expect(exit).not.toHaveBeenCalled();
  });

  it('ends the process with the one line of a bad configuration, and nothing else', () => {
    expect(() =>
      configurationOrExit(() => {
        throw new InvalidConfigurationError('Invalid configuration: PORT: bad');
      }),
    ).toThrow('exit 1');
    expect(stderr).toHaveBeenCalledTimes(1);
    expect(stderr).toHaveBeenCalledWith('Invalid configuration: PORT: bad\n');
  });

  it('throws any other error on', () => {
    expect(() =>
      configurationOrExit(() => {
        throw new TypeError('bug');
      }),
    ).toThrow(TypeError);
    expect(exit).not.toHaveBeenCalled();
  });
});
