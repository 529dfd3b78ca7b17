import CMobileNetHeader
import MobileNet

/// 0.5.0's whole struct: the first released size.
let firstQuantizeOptionsSize = MemoryLayout<mobilenet_quantize_options>.size

func defaultQuantizeOptions() -> mobilenet_quantize_options {
    let d = QuantizeOptions()
    return mobilenet_quantize_options(struct_size: MemoryLayout<mobilenet_quantize_options>.size,
                                      num_threads: Int32(d.numThreads), method: d.method.c,
                                      percentile: d.percentile, bias_correction: d.biasCorrection ? 1 : 0,
                                      logits_headroom: d.logitsHeadroom)
}

func quantizeOptions(_ options: UnsafePointer<mobilenet_quantize_options>?) throws -> QuantizeOptions {
    guard let options else { return QuantizeOptions() }
    let c = try StructSize.readSized(options, first: firstQuantizeOptionsSize, name: "mobilenet_quantize_options",
                                     defaults: defaultQuantizeOptions())
    guard let method = CalibrationMethod(c.method) else {
        throw invalidArgument("options->method \(Int32(bitPattern: c.method.rawValue)) is not a mobilenet_calibration")
    }
    guard c.bias_correction == 0 || c.bias_correction == 1 else {
        throw invalidArgument("options->bias_correction is \(c.bias_correction), not 0 or 1")
    }
    return QuantizeOptions(method: method, percentile: c.percentile, numThreads: Int(c.num_threads),
                           biasCorrection: c.bias_correction == 1, logitsHeadroom: c.logits_headroom)
}

/// The exported symbol behind the header's macro's name: fills the first
/// released size only, since it cannot know its caller's.
@_cdecl("mobilenet_quantize_options_init")
public func mobilenet_quantize_options_init(_ options: UnsafeMutablePointer<mobilenet_quantize_options>?) {
    guard let options else { return }
    StructSize.fill(options, with: defaultQuantizeOptions(), size: firstQuantizeOptionsSize)
}

@_cdecl("mobilenet_quantize_options_init_sized")
public func mobilenet_quantize_options_init_sized(_ options: UnsafeMutablePointer<mobilenet_quantize_options>?,
                                                  _ size: Int) -> mobilenet_status {
    guarded("mobilenet_quantize_options_init_sized") {
        try StructSize.initSized(options, size: size, first: firstQuantizeOptionsSize,
                                 name: "mobilenet_quantize_options", defaults: defaultQuantizeOptions())
    }
}

@_cdecl("mobilenet_quantize")
public func mobilenet_quantize(_ modelPath: UnsafePointer<CChar>?, _ calibration: UnsafePointer<Float>?,
                               _ count: Int32, _ height: Int32, _ width: Int32,
                               _ options: UnsafePointer<mobilenet_quantize_options>?,
                               _ outputPath: UnsafePointer<CChar>?) -> mobilenet_status {
    guarded("mobilenet_quantize") {
        let model = try pathBytes(modelPath)
        let output = try pathBytes(outputPath)
        guard let calibration else { throw invalidArgument("calibration is NULL") }
        _ = try Quantizer.quantize(modelPathBytes: model, calibration: calibration, count: Int(count),
                                   height: Int(height), width: Int(width), options: try quantizeOptions(options),
                                   outputPathBytes: output)
    }
}
