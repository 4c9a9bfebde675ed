extension DNSMessage {
    /// The wire form, with the counts taken from the sections (not from ``header``).
    ///
    /// Owner names and the names inside NS, CNAME, PTR, MX and SOA data are compressed against
    /// earlier names (the only RDATA names RFC 3597 lets a server compress); SVCB/HTTPS targets
    /// are written whole, as RFC 9460 requires. Raw RDATA is copied unchanged, which is safe
    /// because no other type may contain compression pointers.
    public func encoded() -> [UInt8] {
        var writer = DNSWriter()
        writer.writeUInt16(header.id)
        writer.writeUInt16(header.flags)
        writer.writeUInt16(UInt16(clamping: questions.count))
        writer.writeUInt16(UInt16(clamping: answers.count))
        writer.writeUInt16(UInt16(clamping: authorities.count))
        writer.writeUInt16(UInt16(clamping: additionals.count))
        for question in questions {
            writer.writeName(question.name, compress: true)
            writer.writeUInt16(question.type)
            writer.writeUInt16(question.recordClass)
        }
        for record in answers + authorities + additionals {
            writer.writeRecord(record)
        }
        return writer.bytes
    }
}

/// Builds a DNS message, remembering where each name suffix was written for compression.
struct DNSWriter {
    var bytes: [UInt8] = []
    private var suffixOffsets: [DNSName: Int] = [:]

    mutating func writeUInt16(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xff))
    }

    mutating func writeUInt32(_ value: UInt32) {
        writeUInt16(UInt16(value >> 16))
        writeUInt16(UInt16(value & 0xffff))
    }

    mutating func writeName(_ name: DNSName, compress: Bool) {
        for index in name.labels.indices {
            let suffix = DNSName(labels: Array(name.labels[index...]))
            if compress, let target = suffixOffsets[suffix] {
                writeUInt16(0xc000 | UInt16(target))
                return
            }
            // Only offsets a 14-bit pointer can reach are remembered.
            if bytes.count < 0x4000, suffixOffsets[suffix] == nil { suffixOffsets[suffix] = bytes.count }
            bytes.append(UInt8(name.labels[index].count))
            bytes += name.labels[index]
        }
        bytes.append(0)
    }

    mutating func writeRecord(_ record: DNSMessage.ResourceRecord) {
        writeName(record.name, compress: true)
        writeUInt16(record.type)
        writeUInt16(record.recordClass)
        writeUInt32(record.ttl)
        let lengthOffset = bytes.count
        writeUInt16(0)
        switch record.data {
        case .address(let address): bytes += address.bytes
        case .cname(let name), .ns(let name), .ptr(let name): writeName(name, compress: true)
        case .mx(let preference, let exchange):
            writeUInt16(preference)
            writeName(exchange, compress: true)
        case .soa(let mname, let rname, let numbers):
            writeName(mname, compress: true)
            writeName(rname, compress: true)
            bytes += numbers
        case .serviceBinding(let binding):
            writeUInt16(binding.priority)
            writeName(binding.target, compress: false)
            for parameter in binding.parameters {
                writeUInt16(parameter.key)
                writeUInt16(UInt16(clamping: parameter.value.count))
                bytes += parameter.value
            }
        case .raw(let data): bytes += data
        }
        let length = bytes.count - lengthOffset - 2
        bytes[lengthOffset] = UInt8((length >> 8) & 0xff)
        bytes[lengthOffset + 1] = UInt8(length & 0xff)
    }
}
