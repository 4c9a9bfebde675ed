public import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension GrantBook {
    private struct StoredGrants: Codable {
        var version = 1
        var grants: [Grant]
    }

    /// Writes every grant (expired ones too, until swept) to `url` as JSON, readable by the
    /// daemon's user only (0600). The file is replaced atomically, so a crash never leaves
    /// half a file.
    ///
    /// - Parameter url: The grants file, e.g. `/var/lib/chaperone/grants.json`.
    /// - Throws: ``GrantStoreError`` when the file cannot be written.
    public func save(to url: URL) throws(GrantStoreError) {
        let stored = StoredGrants(grants: snapshot().sorted { $0.id < $1.id })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let temporary = url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).\(UUID().uuidString).tmp"
        )
        do {
            let data = try encoder.encode(stored)
            guard
                FileManager.default.createFile(
                    atPath: temporary.path,
                    contents: data,
                    attributes: [.posixPermissions: 0o600]
                )
            else {
                throw GrantStoreError(
                    path: url.path,
                    message:
                        "cannot write \(temporary.path); check that the state directory exists and the daemon's user may write it"
                )
            }
            guard rename(temporary.path, url.path) == 0 else {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: temporary)
                throw GrantStoreError(
                    path: url.path,
                    message: "cannot replace the grants file: \(reason); check the state directory's permissions"
                )
            }
        } catch let error as GrantStoreError {
            throw error
        } catch {
            throw GrantStoreError(path: url.path, message: "cannot encode grants: \(error)")
        }
    }

    /// Replaces the book's grants with those in `url`. A missing file means no grants (a
    /// fresh machine). Expired grants are kept so the next ``sweep(now:)`` reports them.
    ///
    /// - Parameter url: The grants file.
    /// - Throws: ``GrantStoreError`` when the file exists but cannot be read or parsed.
    public func load(from url: URL) throws(GrantStoreError) {
        guard FileManager.default.fileExists(atPath: url.path) else {
            replaceAll(with: [])
            return
        }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw GrantStoreError(
                path: url.path,
                message: "cannot read the grants file; check that the daemon's user may read it"
            )
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            let stored = try decoder.decode(StoredGrants.self, from: data)
            guard stored.version == 1 else {
                throw GrantStoreError(
                    path: url.path,
                    message:
                        "grants file version \(stored.version) is newer than this chaperone; upgrade chaperone or move the file aside"
                )
            }
            replaceAll(with: stored.grants)
        } catch let error as GrantStoreError {
            throw error
        } catch {
            throw GrantStoreError(
                path: url.path,
                message:
                    "not a grants file (\(error)); move it aside to start with no grants, then re-create the grants you need"
            )
        }
    }

    private func snapshot() -> [Grant] { list(now: .distantPast) }
}
