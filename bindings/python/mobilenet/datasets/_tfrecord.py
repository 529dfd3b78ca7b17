"""TFRecord framing, read without TensorFlow.

Each record is: u64 length (little-endian), u32 masked CRC-32C of those 8
bytes, `length` bytes of data, u32 masked CRC-32C of the data. Both CRCs are
verified; a bad CRC, a truncated record or trailing garbage raises
TFRecordError naming the file, the record number and its byte offset, since
a silently shortened dataset would be worse than a failed run.
"""

import struct

from ._crc32c import masked_crc32c

# A record larger than this is taken as a corrupt length field, not a
# request to allocate it (TF-Slim's shards hold one image per record).
MAX_RECORD_BYTES = 1 << 30


class TFRecordError(ValueError):
    """A TFRecord file is malformed (bad CRC, truncated, impossible length)."""


def read_records(path):
    """Yields each record's data (bytes) of a TFRecord file, in order."""
    with open(path, "rb") as file:
        index = 0
        while True:
            offset = file.tell()
            header = file.read(12)
            if not header:
                return
            where = f"{path}: record {index} at byte {offset}"
            if len(header) < 12:
                raise TFRecordError(f"{where}: truncated header ({len(header)} of 12 bytes)")
            length_bytes, (length_crc,) = header[:8], struct.unpack("<I", header[8:])
            if masked_crc32c(length_bytes) != length_crc:
                raise TFRecordError(f"{where}: the length's CRC does not match (corrupt file)")
            (length,) = struct.unpack("<Q", length_bytes)
            if length > MAX_RECORD_BYTES:
                raise TFRecordError(f"{where}: length {length} is larger than "
                                    f"{MAX_RECORD_BYTES} bytes")
            data = file.read(length)
            if len(data) < length:
                raise TFRecordError(f"{where}: truncated data ({len(data)} of {length} bytes)")
            footer = file.read(4)
            if len(footer) < 4:
                raise TFRecordError(f"{where}: truncated data CRC")
            if masked_crc32c(data) != struct.unpack("<I", footer)[0]:
                raise TFRecordError(f"{where}: the data's CRC does not match (corrupt record)")
            yield data
            index += 1
