/*
 * fuzz_dna_recv.c
 *		libFuzzer target: the binary input of dna2 and dna4 (dna2_recv,
 *		dna4_recv) on any bytes a client could send.
 *
 * A message is refused with invalid_binary_representation (or
 * program_limit_exceeded for a count over the limit), or accepted; an
 * accepted value uses exactly the bytes its count needs, sends back the
 * same bytes, has a valid stored layout, and prints as letters that read
 * back into the same value.
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "port/pg_bswap.h"

#include "dna.h"
#include "harness.h"

static const int recv_errors[] = {
	ERRCODE_INVALID_BINARY_REPRESENTATION,
	ERRCODE_PROGRAM_LIMIT_EXCEEDED,
};

static void
CheckKind(const uint8 *data, size_t size, bool dna4)
{
	PGFunction	recv = dna4 ? dna4_recv : dna2_recv;
	PGFunction	send = dna4 ? dna4_send : dna2_send;
	PGFunction	out = dna4 ? dna4_out : dna2_out;
	PGFunction	in = dna4 ? dna4_in : dna2_in;
	DnaKind		kind = dna4 ? DNA_KIND_4 : DNA_KIND_2;
	StringInfoData buf;
	struct varlena *volatile value = NULL;
	Datum		args[3];
	Datum		arg;
	bytea	   *wire;
	char	   *printed;
	struct varlena *again;
	size_t		nbases;
	uint32		count;

	/* a message buffer as the server gives it: NUL after the data */
	buf.data = palloc(size + 1);
	memcpy(buf.data, data, size);
	buf.data[size] = '\0';
	buf.len = (int) size;
	buf.maxlen = (int) size + 1;
	buf.cursor = 0;
	args[0] = PointerGetDatum(&buf);
	args[1] = ObjectIdGetDatum(InvalidOid);
	args[2] = Int32GetDatum(-1);

	PG_TRY();
	{
		value = (struct varlena *) DatumGetPointer(HarnessCall(recv, HarnessPlainFlinfo(), 3, args));
	}
	PG_CATCH();
	{
		HarnessCheckError(recv_errors, lengthof(recv_errors));
		return;
	}
	PG_END_TRY();

	nbases = DnaLength(value, kind);	/* a valid layout, else it errors */
	if (size < 4)
		HarnessFail("a value from %zu bytes", size);
	memcpy(&count, data, 4);
	if (nbases != (size_t) pg_ntoh32(count))
		HarnessFail("value has %zu bases, the message said otherwise", nbases);
	if ((size_t) buf.cursor != 4 + DNA_BYTES(kind, nbases))
		HarnessFail("recv used %d bytes for %zu bases", buf.cursor, nbases);

	/* the functions taking the value get it with a short header when it fits */
	arg = PointerGetDatum((data[0] & 1) ? HarnessShortHeader(value) : value);
	wire = DatumGetByteaPP(HarnessCall(send, HarnessPlainFlinfo(), 1, &arg));
	if (VARSIZE_ANY_EXHDR(wire) != (size_t) buf.cursor ||
		memcmp(VARDATA_ANY(wire), data, buf.cursor) != 0)
		HarnessFail("send does not give back the bytes recv accepted");

	printed = DatumGetCString(HarnessCall(out, HarnessPlainFlinfo(), 1, &arg));
	if (strlen(printed) != nbases)
		HarnessFail("printed %zu letters for %zu bases", strlen(printed), nbases);
	args[0] = CStringGetDatum(printed);
	again = (struct varlena *) DatumGetPointer(HarnessCall(in, HarnessPlainFlinfo(), 3, args));
	if (VARSIZE_ANY(again) != VARSIZE_ANY(value) || memcmp(again, value, VARSIZE_ANY(value)) != 0)
		HarnessFail("printed letters read back as another value");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	HarnessBegin();
	CheckKind(data, size, false);
	CheckKind(data, size, true);
	HarnessEnd();
	return 0;
}
