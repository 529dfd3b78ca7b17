extension QuantizedNetwork.Affine {
    /// TFLite's asymmetric int8 parameters for the real range [lower, upper]
    /// (lower <= 0 <= upper): scale (upper - lower) / 255 and the zero
    /// point nudged to an integer, as TensorFlow's converter does, so that
    /// real 0 is exactly a q value.
    init(int8Range lower: Float, _ upper: Float) {
        let scale = (Double(upper) - Double(lower)) / 255
        let zero = (-128 - Double(lower) / scale).rounded(.toNearestOrAwayFromZero)
        self.init(scale: Float(scale), zeroPoint: Int32(min(max(zero, -128), 127)))
    }
}
