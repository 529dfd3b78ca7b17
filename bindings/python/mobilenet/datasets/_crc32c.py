"""CRC-32C (Castagnoli), the checksum TFRecord framing uses, and its "mask".

Pure Python with a 256-entry table (no dependency); when the `crc32c` or
`google_crc32c` package is installed its C implementation is used instead,
since a table loop in Python reads only a few MB/s.
"""

_POLY = 0x82F63B78  # reversed Castagnoli polynomial


def _table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _POLY if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _table()


def _crc32c_python(data):
    crc = 0xFFFFFFFF
    table = _TABLE
    for byte in bytes(data):
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _fast():
    try:
        import crc32c  # the "crc32c" package
        return lambda data: crc32c.crc32c(bytes(data))
    except ImportError:
        pass
    try:
        import google_crc32c
        return lambda data: int(google_crc32c.value(bytes(data)))
    except ImportError:
        return None


crc32c = _fast() or _crc32c_python


def masked_crc32c(data):
    """TFRecord's masked CRC: rotate right by 15 bits and add 0xa282ead8
    (so a CRC of data holding CRCs is not trivially a CRC of zeros)."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF
