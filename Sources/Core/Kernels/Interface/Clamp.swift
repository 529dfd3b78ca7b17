/// A kernel's epilogue after the bias: clamp to [lower, upper]. ReLU6 is
/// (0, 6); a linear output (the logits) is (-inf, inf), where the compares
/// never hold and every value, NaN included, passes unchanged; int8 layers
/// will clamp to their quantized bounds. One epilogue instead of a ReLU6
/// hard-wired in the kernels: training runs convolutions without it.
public struct Clamp: Equatable, Sendable {
    public let lower: Float
    public let upper: Float

    public init(lower: Float, upper: Float) {
        self.lower = lower
        self.upper = upper
    }

    public static let relu6 = Clamp(lower: 0, upper: 6)
    public static let none = Clamp(lower: -.infinity, upper: .infinity)
}
