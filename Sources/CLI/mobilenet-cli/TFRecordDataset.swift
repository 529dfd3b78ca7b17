/// TF-Slim's image TFRecords (datasets/dataset_utils.image_to_tfexample, as
/// download_and_convert_*.py write them): `image/encoded` (JPEG or PNG bytes),
/// `image/class/label` (int64) and optionally `image/class/text`. Class names
/// come from `image/class/text`, else from TF-Slim's labels.txt ("0:daisy")
/// beside the shards, else the label number itself.
enum TFRecordDataset {
    /// The shard files `path` names, nil if it names none (then it is an image folder).
    static func shards(_ path: String) throws -> [String]? {
        func isShard(_ name: String) -> Bool { name.contains(".tfrecord") || name.hasSuffix(".tfrec") }
        if Platform.isRegularFile(path) { return [path] }
        if FileIO.isDirectory(path) {
            let files = try FileIO.list(path).filter(isShard).map { PathName.join(path, $0) }
                .filter(Platform.isRegularFile)
            return files.isEmpty ? nil : files
        }
        // A prefix: dir/name -> dir/name*.tfrecord*
        let directory = path.contains("/") ? PathName.parent(path) : "."
        let prefix = path.contains("/") ? String(path[path.index(after: path.lastIndex(of: "/")!)...]) : path
        guard !prefix.isEmpty, FileIO.isDirectory(directory) else { return nil }
        let files = try FileIO.list(directory).filter { $0.hasPrefix(prefix) && isShard($0) }
            .map { PathName.join(directory, $0) }.filter(Platform.isRegularFile)
        return files.isEmpty ? nil : files
    }

    static func load(_ shards: [String], directory path: String) throws -> Dataset {
        var records: [(name: String, image: [UInt8], label: Int64, text: String?)] = []
        for shard in shards {
            let bytes: [UInt8]
            do { bytes = try FileIO.readAll(shard, maxBytes: TFRecord.maxFileBytes) } catch { throw CLIError("\(shard): \(error)") }
            let ranges = try TFRecord.records(bytes, name: shard)
            try bytes.withUnsafeBytes { file in
                for (number, range) in ranges.enumerated() {
                    let name = "\(shard)#\(number)"
                    let features: ExampleFeatures
                    do {
                        features = try ExampleFeatures(parsing: UnsafeRawBufferPointer(rebasing: file[range]))
                    } catch { throw CLIError("\(name): not a tf.train.Example: \(error)") }
                    guard let image = features.bytes["image/encoded"]?.first else {
                        throw CLIError("\(name): no image/encoded (not a TF-Slim image record)")
                    }
                    guard let labels = features.int64s["image/class/label"], labels.count == 1 else {
                        throw CLIError("\(name): image/class/label is not one int64 (not a TF-Slim image record)")
                    }
                    let text = features.bytes["image/class/text"]?.first.map { String(decoding: $0, as: UTF8.self) }
                    records.append((name, image, labels[0], text))
                }
            }
        }
        guard !records.isEmpty else { throw CLIError("\(path): the TFRecord files hold no records") }
        // Labels become 0..<K in numeric order: TF-Slim's are already (0-based), ImageNet's start at 1.
        let numbers = Array(Set(records.map(\.label))).sorted()
        let index = Dictionary(uniqueKeysWithValues: numbers.enumerated().map { ($1, $0) })
        let labelFile = labelsFile(PathName.parent(shards[0]))
        var texts: [Int64: String] = [:]
        for record in records {
            guard let text = record.text, !text.isEmpty else { continue }
            if let other = texts[record.label], other != text {
                throw CLIError("\(record.name): label \(record.label) is '\(text)' here and '\(other)' elsewhere")
            }
            texts[record.label] = text
        }
        let names = numbers.map { texts[$0] ?? labelFile[$0] ?? "\($0)" }
        guard Set(names).count == names.count else { throw CLIError("\(path): two labels have the same class name") }
        let samples = records.map { Dataset.Sample(name: $0.name, source: .encoded($0.image), label: index[$0.label]!) }
        return Dataset(classes: names, samples: samples, kind: "TFRecord")
    }

    /// TF-Slim's labels.txt ("N:name" per line), empty if there is none.
    private static func labelsFile(_ directory: String) -> [Int64: String] {
        guard let bytes = try? FileIO.readAll(PathName.join(directory, "labels.txt"), maxBytes: 64 << 20) else { return [:] }
        var names: [Int64: String] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            guard let colon = line.firstIndex(of: ":"), let number = Int64(line[..<colon]) else { continue }
            names[number] = String(line[line.index(after: colon)...])
        }
        return names
    }
}
