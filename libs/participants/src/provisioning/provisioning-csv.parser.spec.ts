import { MAX_PROVISION_ROWS, parseProvisioningCsv, rowProblems } from './provisioning-csv.parser.js';

describe(parseProvisioningCsv.name, () => {
  it('reads the header and one participant per line, with or without a customer ID', () => {
    const result = parseProvisioningCsv('\uFEFFinternal_customer_id\r\nC-001\r\n""\r\n  C-003  \r\n\r\n"顧客,4"\r\n');
    expect(result).toEqual({
      ok: true,
      rows: [
        { line: 2, internalCustomerId: 'C-001' },
        { line: 3, internalCustomerId: null },
        { line: 4, internalCustomerId: 'C-003' },
        { line: 6, internalCustomerId: '顧客,4' },
      ],
    });
  });

  it('reports every problem with its line, and returns no rows at all', () => {
    const text = ['internal_customer_id', 'A', 'B', 'A', 'x'.repeat(101), 'C,extra', '"multi', 'line"', 'B', 'tab\there'].join('\n');
    const result = parseProvisioningCsv(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      { line: 4, message: 'participants.customer_id_repeated', params: { first: 2 } },
      { line: 5, message: 'participants.customer_id_too_long' },
      { line: 6, message: 'participants.csv_extra_fields', params: { count: 2 } },
      { line: 7, message: 'participants.customer_id_invalid' },
      { line: 9, message: 'participants.customer_id_repeated', params: { first: 3 } },
      { line: 10, message: 'participants.customer_id_invalid' },
    ]);
  });

  it.each([
    ['', 'participants.csv_empty', null],
    ['customer\nA\n', 'participants.csv_header', 1],
    ['internal_customer_id,name\nA,B\n', 'participants.csv_header', 1],
    ['internal_customer_id\n', 'participants.csv_no_rows', null],
    ['internal_customer_id\n"open\nA\n', 'participants.csv_malformed', 3],
    ['\x00\x01\x02PNG binary', 'participants.csv_header', 1],
  ])('refuses %j as a whole (%s)', (text, message, line) => {
    const result = parseProvisioningCsv(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]).toEqual(expect.objectContaining({ message, line }));
  });

  it(`takes at most ${MAX_PROVISION_ROWS} rows`, () => {
    const rows = (count: number) => ['internal_customer_id', ...Array.from({ length: count }, (_, i) => `C${i}`)].join('\n');
    expect(parseProvisioningCsv(rows(MAX_PROVISION_ROWS)).ok).toBe(true);
    expect(parseProvisioningCsv(rows(MAX_PROVISION_ROWS + 1))).toEqual({
      ok: false,
      problems: [{ line: null, message: 'participants.too_many_rows', params: { max: MAX_PROVISION_ROWS } }],
    });
  });

  it('checks rows given by other callers (the form, the API) the same way', () => {
    expect(
      rowProblems([
        { line: 1, internalCustomerId: 'A' },
        { line: 2, internalCustomerId: null },
        { line: 3, internalCustomerId: null },
      ]),
    ).toEqual([]);
    expect(
      rowProblems([
        { line: 1, internalCustomerId: 'A' },
        { line: 2, internalCustomerId: 'A' },
      ]),
    ).toEqual([{ line: 2, message: 'participants.customer_id_repeated', params: { first: 1 } }]);
  });
});
