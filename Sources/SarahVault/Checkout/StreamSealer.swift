/// A push-style chunk sealer for streams whose length is not known in advance (a checkout
/// package): plaintext is written in any pieces, full chunks are held back by one so that the
/// last one, and only it, is sealed with the final flag. Same construction as the vault's
/// content (`ChunkedCipher`).
final class StreamSealer {
    private let key: SecureBytes
    private let binding: [UInt8]
    private let emit: ([UInt8]) throws(VaultError) -> Void
    private var buffer: [UInt8] = []
    private var pending: [UInt8]?
    private var index: UInt64 = 0

    init(key: SecureBytes, binding: [UInt8], emit: @escaping ([UInt8]) throws(VaultError) -> Void) {
        self.key = key
        self.binding = binding
        self.emit = emit
        buffer.reserveCapacity(ChunkedCipher.chunkSize)
    }

    deinit {
        Sodium.wipe(&buffer)
        if var p = pending { Sodium.wipe(&p) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(VaultError) {
        var offset = 0
        while offset < bytes.count {
            let n = min(ChunkedCipher.chunkSize - buffer.count, bytes.count - offset)
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n]))
            offset += n
            if buffer.count == ChunkedCipher.chunkSize {
                try flushPending(final: false)
                pending = buffer
                Sodium.wipe(&buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
    }

    func write(_ bytes: [UInt8]) throws(VaultError) {
        try bytes.withBytes { (p) throws(VaultError) in try write(p) }
    }

    /// Seals what is left; the last chunk carries the final flag.
    func finish() throws(VaultError) {
        if buffer.isEmpty, pending != nil {
            try flushPending(final: true)
        } else {
            try flushPending(final: false)
            try seal(buffer, final: true)
            Sodium.wipe(&buffer)
            buffer.removeAll()
        }
    }

    private func flushPending(final: Bool) throws(VaultError) {
        guard var p = pending else { return }
        pending = nil
        try seal(p, final: final)
        Sodium.wipe(&p)
    }

    private func seal(_ chunk: [UInt8], final: Bool) throws(VaultError) {
        let sealed = AEAD.seal(chunk, key: key, nonce: ChunkedCipher.nonce(index: index, final: final), ad: binding)
        index += 1
        try emit(sealed)
    }
}

@available(*, unavailable)
extension StreamSealer: Sendable {}
