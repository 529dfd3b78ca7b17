import ArgumentParser
import MobileNet

/// What --fine-tune trains, as a trainable_from layer (docs/training.md).
enum Recipe: Equatable {
    /// Only the new Logits layer, on embeddings computed once per image.
    case head
    /// Every layer.
    case all
    /// From a layer (mobilenet_layer_info's names) on.
    case from(String)
    /// The last N convolution blocks (Conv2d_K: its depthwise and pointwise layers) and the head.
    case last(Int)
    /// A new network (--alpha, --resolution), every layer.
    case scratch

    init(parsing text: String) throws {
        switch text {
        case "head": self = .head
        case "all": self = .all
        case "scratch": self = .scratch
        case _ where text.hasPrefix("from=") && text.count > 5: self = .from(String(text.dropFirst(5)))
        case _ where text.hasPrefix("last="):
            guard let n = Int(text.dropFirst(5)), n >= 0 else {
                throw ValidationError("--fine-tune last=N needs a whole number N >= 0, not '\(text.dropFirst(5))'")
            }
            self = .last(n)
        default:
            throw ValidationError("--fine-tune must be head, all, from=LAYER, last=N or scratch, not '\(text)'")
        }
    }

    /// The trainable_from option for `architecture`; nil: every layer.
    func trainableFrom(_ architecture: Architecture) throws -> String? {
        switch self {
        case .head: return "Logits"
        case .all, .scratch: return nil
        case .from(let layer): return layer
        case .last(let n):
            // Blocks in order of their first layer: "Conv2d_3_depthwise" belongs to "Conv2d_3".
            var blocks: [(name: String, firstLayer: String)] = []
            for spec in architecture.layers where spec.name.hasPrefix("Conv2d_") {
                let block = spec.name.split(separator: "_").prefix(2).joined(separator: "_")
                if blocks.last?.name != block { blocks.append((block, spec.name)) }
            }
            guard n <= blocks.count else {
                throw ValidationError("--fine-tune last=\(n): the network has \(blocks.count) convolution blocks")
            }
            return n == 0 ? "Logits" : blocks[blocks.count - n].firstLayer
        }
    }
}

/// TF-Slim's learning-rate schedule (train_image_classifier.py's defaults
/// learning_rate_decay_type=exponential, learning_rate_decay_factor=0.94,
/// num_epochs_per_decay=2.0, staircase): the rate drops by 6% every two epochs.
enum LearningRateSchedule {
    static let decayFactor = 0.94
    static let epochsPerDecay = 2

    static func rate(initial: Float, epoch: Int) -> Float {
        Float(Double(initial) * pow(decayFactor, Double(epoch / epochsPerDecay)))
    }

    /// The initial rate of a run whose epoch `epoch` had `rate` (a resumed
    /// run's checkpoint holds only the current rate): of the initial rates
    /// that give exactly `rate`, the one with the shortest decimal form, as a
    /// person types it (0.01, not 0.010000001), so later epochs get the rates
    /// the uninterrupted run would have had, bit for bit.
    static func initial(given rate: Float, epoch: Int) -> Float {
        let estimate = Float(Double(rate) / pow(decayFactor, Double(epoch / epochsPerDecay)))
        var candidates: [Float] = []
        var low = estimate, high = estimate
        for _ in 0..<64 { low = low.nextDown; high = high.nextUp }
        var x = low
        while x <= high {
            if self.rate(initial: x, epoch: epoch) == rate { candidates.append(x) }
            x = x.nextUp
        }
        return candidates.min { "\($0)".count < "\($1)".count } ?? estimate
    }

    private static func pow(_ base: Double, _ exponent: Double) -> Double {
        var result = 1.0
        for _ in 0..<Int(exponent) { result *= base }
        return result
    }
}
