/**
 * Pure parts of the СМЭВ sink, each against the real libxml2 validator and the official XSDs:
 * MessageID derivation, the diary-exchange mapping, fault details both ways, MTOM framing.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { validate as uuidValidate, version as uuidVersion } from 'uuid';
import { ENTITY_XML, SUPPORTED_ENTITIES, batchRequestXml, recordXml, recordsDocumentXml } from '../diary-xml';
import { FAULT_TABLE, faultError, faultRule } from '../errors';
import { faultDetailXml, parseSoapFault } from '../faults';
import { anchorTime, deriveMessageId, isSmevMessageId, messageIdTime, messageSeed } from '../message-id';
import { DEFAULT_PAYLOAD_NS, SMEV_FAULTS } from '../protocol';
import { faultEnvelopeXml } from '../simulator/answers';
import { mtomResponse, readMtomRequest } from '../simulator/mtom';
import { loadSmev3Xml, redactXsdMessage, type Smev3Xml } from '../xsd';
import { makeItem } from './helpers';

const HOUR = 3_600_000;

describe('smev3-sink units', () => {
  let xml: Smev3Xml;
  before(async () => { xml = await loadSmev3Xml(); });

  describe('MessageID', () => {
    const seed = messageSeed(['mark:a:1', 'mark:b:1']);

    it('is a lower-case version-1, variant-1 UUID carrying the anchor time, with a non-MAC (multicast) node', () => {
      const anchor = Date.parse('2026-03-02T08:55:00Z');
      const id = deriveMessageId(anchor, seed);
      assert.ok(uuidValidate(id) && uuidVersion(id) === 1, id);
      assert.ok(isSmevMessageId(id));
      assert.match(id, /^[0-9a-f-]{36}$/);
      assert.equal(messageIdTime(id), anchor);
      assert.equal(parseInt(id.slice(24, 26), 16) & 1, 1, 'multicast bit of the node');
      assert.ok(['8', '9', 'a', 'b'].includes(id[19] as string), 'RFC 4122 variant');
    });

    it('is the same for the same keys in any order, different for other keys or another anchor', () => {
      const a = deriveMessageId(1_772_000_000_000, messageSeed(['k2', 'k1']));
      assert.equal(a, deriveMessageId(1_772_000_000_000, messageSeed(['k1', 'k2'])));
      assert.notEqual(a, deriveMessageId(1_772_000_000_000, messageSeed(['k1', 'k3'])));
      assert.notEqual(a, deriveMessageId(1_772_000_000_001, messageSeed(['k1', 'k2'])));
    });

    it('rejects what СМЭВ would call InvalidMessageIdFormat', () => {
      for (const bad of ['7ea413e1-1615-41f1-b031-e99286481e63', '7EA413E1-1615-11F1-B031-E99286481E63', '7ea413e1-1615-11f1-7031-e99286481e63', 'x']) {
        assert.equal(isSmevMessageId(bad), false, bad);
        assert.equal(messageIdTime(bad), undefined);
      }
    });

    it('anchors on the newest record time, and moves an old anchor forward by whole windows', () => {
      const now = Date.parse('2026-03-05T12:00:00Z');
      assert.equal(anchorTime(['2026-03-05T10:00:00Z', '2026-03-05T11:00:00Z', undefined], now, 24 * HOUR), Date.parse('2026-03-05T11:00:00Z'));
      const old = anchorTime(['2026-03-02T11:00:00Z'], now, 24 * HOUR);
      assert.equal(old, Date.parse('2026-03-05T11:00:00Z'), 'three whole days later');
      assert.ok(now - old < 24 * HOUR);
      assert.equal(anchorTime(['2026-03-02T11:00:00Z'], now + HOUR, 24 * HOUR), old, 'stable within the window');
      assert.equal(anchorTime(['2027-01-01T00:00:00Z'], now, 24 * HOUR), now, 'never in the future');
      assert.equal(anchorTime([], now, 24 * HOUR), Date.parse('2026-03-05T00:00:00Z'), 'window start without times');
    });
  });

  describe('diary-exchange XML', () => {
    it('a record of every supported entity validates against the XSD, also under another namespace', () => {
      assert.deepEqual(Object.keys(ENTITY_XML).sort(), [...SUPPORTED_ENTITIES].sort());
      for (const entity of SUPPORTED_ENTITIES) {
        const rec = recordXml(makeItem(1, { entityType: entity }));
        assert.match(rec, new RegExp(`<d:${ENTITY_XML[entity].element}>`));
        assert.deepEqual(xml.validateDiary(recordsDocumentXml(DEFAULT_PAYLOAD_NS, 'a'.repeat(32), [rec]), DEFAULT_PAYLOAD_NS), [], entity);
        const other = 'urn://x-artefacts-region-77/diary/2.0.1';
        assert.deepEqual(xml.validateDiary(recordsDocumentXml(other, 'a'.repeat(32), [rec]), other), [], `${entity} in ${other}`);
        assert.notDeepEqual(xml.validateDiary(recordsDocumentXml(other, 'a'.repeat(32), [rec]), DEFAULT_PAYLOAD_NS), [], 'namespace matters');
      }
    });

    it('maps a mark field by field (golden), escaping text', () => {
      const item = makeItem(7, { fields: { teacherComment: 'A & B <ok>' } });
      const rec = recordXml(item);
      assert.equal(rec, `<d:Record key="${item.key}" recordId="${item.recordId}" entityType="mark" schoolId="school-1" revision="1" status="active" contentHash="${item.contentHash}" dateLastModified="2026-03-02T08:40:00Z" sourceSystem="netschool"><d:Mark>`
        + '<d:kind>current</d:kind><d:studentId>11111111-0000-5000-8000-000000000007</d:studentId><d:subjectId>22222222-0000-5000-8000-000000000001</d:subjectId>'
        + '<d:assessmentId>33333333-0000-5000-8000-000000000007</d:assessmentId><d:value><d:scale>five_point</d:scale><d:raw>5</d:raw><d:numeric>5</d:numeric></d:value>'
        + '<d:markStatus>graded</d:markStatus><d:teacherComment>A &amp; B &lt;ok&gt;</d:teacherComment><d:date>2026-03-02</d:date><d:markedAt>2026-03-02T08:30:00Z</d:markedAt></d:Mark></d:Record>');
    });

    it('a record missing a required field fails the XSD naming the field, without quoting values', () => {
      const rec = recordXml(makeItem(2, { fields: { studentId: undefined, teacherComment: 'x'.repeat(2001) } }));
      const issues = xml.validateDiary(recordsDocumentXml(DEFAULT_PAYLOAD_NS, 'b'.repeat(32), [rec]), DEFAULT_PAYLOAD_NS);
      assert.ok(issues.some((i) => /studentId/.test(i.message)), JSON.stringify(issues));
      assert.ok(issues.every((i) => !i.message.includes('xxxx')), 'no value in the message');
      assert.throws(() => recordXml(makeItem(3, { fields: { kind: { nested: true } } })), /\/kind must be a string/);
      assert.throws(() => recordXml(makeItem(4, { entityType: 'person' })), /not carried/);
    });

    it('a batch root with inline records validates; the record count is the number of records', () => {
      const recs = [1, 2, 3].map((n) => recordXml(makeItem(n)));
      const doc = batchRequestXml(DEFAULT_PAYLOAD_NS, { batchId: 'c'.repeat(32), createdAt: '2026-03-02T09:00:00Z', records: recs });
      assert.match(doc, /recordCount="3"/);
      assert.deepEqual(xml.validateDiary(doc, DEFAULT_PAYLOAD_NS), []);
    });
  });

  describe('faults', () => {
    it('the table has one rule per WSDL fault (signature codes aside), and each detail validates and reads back', () => {
      assert.deepEqual([...new Set(FAULT_TABLE.map((r) => r.fault))].sort(), [...SMEV_FAULTS].sort());
      for (const name of SMEV_FAULTS) {
        const detail = faultDetailXml(name, { code: 'SMEV-100', description: 'описание', extra: name === 'DestinationOverflow' ? [['MessageBrokerAddress', 'b'], ['DestinationName', 'd']] : name === 'AttachmentSizeLimitExceeded' ? [['PermittedTotalAttachmentSize', '10'], ['RealTotalAttachmentSize', '11']] : name === 'QuoteLimitExceeded' ? [['RemainedTotalQuoteSize', '0'], ['RealTotalAttachmentSize', '1']] : name === 'BusinessDataTypeIsNotSupported' ? [['RootElementLocalName', 'X'], ['RootElementNamespaceURI', 'urn:x']] : [] });
        assert.deepEqual(xml.validateFault(detail), [], name);
        const parsed = parseSoapFault(xml, faultEnvelopeXml('Ошибка', detail));
        assert.equal(parsed?.name, name);
        assert.equal(parsed?.faultcode, 'Server');
        assert.ok(faultRule(parsed!), name);
      }
    });

    it('reads SignatureVerificationFault codes and ValidationErrors from another СМЭВ version, and ignores unknown details', () => {
      const v12 = '<f:SignatureVerificationFault xmlns:f="urn://x-artefacts-smev-gov-ru/services/message-exchange/types/faults/1.2" xmlns:b="urn://x-artefacts-smev-gov-ru/services/message-exchange/types/basic/1.2"><b:Code>tsmev3:PRODUCTION_AREA:TSMEV3_CORE2 : TR:SYNC:SPS:4</b:Code><b:Description>SMEV-100: x</b:Description><f:SignatureVerificationFault>CertificateIsExpired</f:SignatureVerificationFault></f:SignatureVerificationFault>';
      const f = parseSoapFault(xml, faultEnvelopeXml('Ошибка', v12))!;
      assert.equal(f.signatureCode, 'CertificateIsExpired');
      assert.equal(faultRule(f)?.code, 'GW_SINK_AUTH_FAILED');
      const e = faultError(f, 'SendRequest', 500);
      assert.equal(e.errorClass, 'permanent');
      assert.ok(!e.message.includes('SMEV-100: x'), 'description is not in the message');
      const inv = parseSoapFault(xml, faultEnvelopeXml('x', faultDetailXml('InvalidContent', { validationErrors: [{ position: 12, message: "The value 'Иванов' is not accepted" }] })))!;
      assert.deepEqual(faultError(inv, 'SendRequest', 500).issues, [{ path: 'ValidationError[@errorPosition=12]', message: 'The value (redacted) is not accepted' }]);
      const alien = parseSoapFault(xml, faultEnvelopeXml('x', '<e:Oops xmlns:e="urn:other"/>'))!;
      assert.equal(alien.name, undefined);
      assert.equal(faultError(alien, 'Ack', 500).code, 'GW_SINK_UNAVAILABLE', 'a Server fault without a СМЭВ detail');
      assert.equal(parseSoapFault(xml, '<html>503</html>'), undefined);
    });

    it('redacts quoted values in validator messages', () => {
      assert.equal(redactXsdMessage("Element 'x': 'Иванов' is not a valid value of the atomic type 'y'."), "Element 'x': (redacted) is not a valid value of the atomic type 'y'.");
    });
  });

  describe('MTOM', () => {
    it('reads a node-soap style multipart request back into one envelope with the attachment inline', () => {
      const payload = Buffer.from('<doc>вложение</doc>', 'utf8');
      const root = '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><c><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:records-1"/></c></s:Body></s:Envelope>';
      const body = Buffer.concat([
        Buffer.from('--B1\r\nContent-Type: application/xop+xml; charset=UTF-8; type="text/xml"\r\nContent-ID: <start-1>\r\n\r\n'), Buffer.from(root),
        Buffer.from('\r\n--B1\r\nContent-Type: application/xml\r\nContent-ID: <records-1>\r\n\r\n'), payload, Buffer.from('\r\n--B1--\r\n'),
      ]);
      const { xml: logical, parts } = readMtomRequest(body, 'multipart/related; type="application/xop+xml"; start="<start-1>"; boundary=B1');
      assert.equal(logical, root.replace(/<xop:Include[^>]*\/>/, payload.toString('base64')));
      assert.deepEqual(parts.get('records-1'), payload);
      assert.throws(() => readMtomRequest(body, 'multipart/related; boundary=NOPE'), /boundary/);
    });

    it('writes an answer the way CXF does: multipart/related with the root part only', () => {
      const m = mtomResponse('<e/>');
      assert.match(m.contentType, /^multipart\/related; type="application\/xop\+xml"; boundary="uuid:[0-9a-f-]+"; start="<root\.message@cxf\.apache\.org>"/);
      const text = m.body.toString('utf8');
      assert.match(text, /Content-ID: <root\.message@cxf\.apache\.org>\r\n\r\n<e\/>\r\n--uuid:[0-9a-f-]+--$/);
      assert.equal(createHash('sha256').update(readMtomRequest(m.body, m.contentType).xml).digest('hex'), createHash('sha256').update('<e/>').digest('hex'));
    });
  });
});
