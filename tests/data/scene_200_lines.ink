// A 200-line linear scene for `anisync bench scene`: every fifth line has no emotion tag, so the
// dialogue classifier reads it. Compiled with: npx inkjs-compiler tests/data/scene_200_lines.ink -o tests/data/scene_200_lines.json

Mira: Line 1, about the woods and the bell. # emotion: joy 0.8 # gesture: wave
Bram: Line 2, about the storm and the old bridge. # emotion: neutral 0.7
Yuki: Line 3, about the well and the well. # emotion: fear 0.8 # gesture: cower
Mira: Line 4, about the storm and the bell. # emotion: joy 0.8 # gesture: wave
Bram: Line 5, about the woods and the harvest.
Yuki: Line 6, about the bell and the market. # emotion: fear 0.8 # gesture: cower
Mira: Line 7, about the bell and the woods. # emotion: joy 0.8 # gesture: wave
Bram: Line 8, about the bell and the bell. # emotion: neutral 0.7
Yuki: Line 9, about the market and the bell. # emotion: sadness 0.6 # gesture: cry
Mira: Line 10, about the harvest and the well.
Bram: Line 11, about the harvest and the storm. # emotion: neutral 0.7
Yuki: Line 12, about the market and the woods. # emotion: surprise 0.7
Mira: Line 13, about the bell and the well. # emotion: surprise 0.6
Bram: Line 14, about the fire and the bell. # emotion: neutral 0.6 # gesture: warm_hands
Yuki: Line 15, about the woods and the storm.
Mira: Line 16, about the storm and the bell. # emotion: sadness 0.5 # gesture: sigh
Bram: Line 17, about the old bridge and the market. # emotion: neutral 0.7
Yuki: Line 18, about the bell and the bell. # emotion: fear 0.8 # gesture: cower
Mira: Line 19, about the well and the fire. # emotion: sadness 0.5 # gesture: sigh
Bram: Line 20, about the bell and the old bridge.
Yuki: Line 21, about the harvest and the market. # emotion: surprise 0.6 # gesture: blush
Mira: Line 22, about the well and the storm. # emotion: joy 0.7 # gesture: hum
Bram: Line 23, about the old bridge and the bell. # emotion: neutral 0.7
Yuki: Line 24, about the harvest and the storm. # emotion: sadness 0.6 # gesture: cry
Mira: Line 25, about the woods and the harvest.
Bram: Line 26, about the well and the fire. # emotion: neutral 0.7
Yuki: Line 27, about the bell and the woods. # emotion: fear 0.8 # gesture: cower
Mira: Line 28, about the harvest and the market. # emotion: surprise 0.6
Bram: Line 29, about the old bridge and the fire. # emotion: anger 0.7 # gesture: glare
Yuki: Line 30, about the harvest and the well.
Mira: Line 31, about the bell and the harvest. # emotion: joy 0.8 # gesture: wave
Bram: Line 32, about the harvest and the bell. # emotion: neutral 0.6 # gesture: warm_hands
Yuki: Line 33, about the market and the storm. # emotion: fear 0.8 # gesture: cower
Mira: Line 34, about the bell and the woods. # emotion: sadness 0.5 # gesture: sigh
Bram: Line 35, about the bell and the market.
Yuki: Line 36, about the bell and the storm. # emotion: surprise 0.6 # gesture: blush
Mira: Line 37, about the harvest and the fire. # emotion: surprise 0.6
Bram: Line 38, about the fire and the old bridge. # emotion: neutral 0.7
Yuki: Line 39, about the harvest and the harvest. # emotion: sadness 0.6 # gesture: cry
Mira: Line 40, about the well and the old bridge.
Bram: Line 41, about the woods and the storm. # emotion: neutral 0.7
Yuki: Line 42, about the well and the fire. # emotion: fear 0.8 # gesture: cower
Mira: Line 43, about the fire and the market. # emotion: joy 0.7 # gesture: hum
Bram: Line 44, about the fire and the old bridge. # emotion: neutral 0.7
Yuki: Line 45, about the harvest and the fire.
Mira: Line 46, about the well and the bell. # emotion: sadness 0.5 # gesture: sigh
Bram: Line 47, about the woods and the old bridge. # emotion: neutral 0.7
Yuki: Line 48, about the woods and the old bridge. # emotion: surprise 0.7
Mira: Line 49, about the old bridge and the fire. # emotion: joy 0.7 # gesture: hum
Bram: Line 50, about the storm and the old bridge.
Yuki: Line 51, about the woods and the storm. # emotion: surprise 0.6 # gesture: blush
Mira: Line 52, about the old bridge and the woods. # emotion: joy 0.8 # gesture: wave
Bram: Line 53, about the fire and the bell. # emotion: neutral 0.6 # gesture: warm_hands
Yuki: Line 54, about the woods and the woods. # emotion: surprise 0.6 # gesture: blush
Mira: Line 55, about the storm and the bell.
Bram: Line 56, about the market and the harvest. # emotion: anger 0.7 # gesture: glare
Yuki: Line 57, about the harvest and the well. # emotion: surprise 0.7
Mira: Line 58, about the fire and the old bridge. # emotion: sadness 0.5 # gesture: sigh
Bram: Line 59, about the well and the storm. # emotion: neutral 0.7
Yuki: Line 60, about the market and the harvest.
Mira: Line 61, about the bell and the old bridge. # emotion: surprise 0.6
Bram: Line 62, about the storm and the woods. # emotion: neutral 0.6 # gesture: warm_hands
Yuki: Line 63, about the harvest and the storm. # emotion: surprise 0.7
Mira: Line 64, about the well and the bell. # emotion: joy 0.7 # gesture: hum
Bram: Line 65, about the fire and the storm.
Yuki: Line 66, about the market and the bell. # emotion: fear 0.8 # gesture: cower
Mira: Line 67, about the market and the old bridge. # emotion: sadness 0.5 # gesture: sigh
Bram: Line 68, about the storm and the storm. # emotion: neutral 0.7
Yuki: Line 69, about the fire and the woods. # emotion: surprise 0.6 # gesture: blush
Mira: Line 70, about the fire and the bell.
Bram: Line 71, about the well and the storm. # emotion: anger 0.8 # gesture: stomp
Yuki: Line 72, about the woods and the fire. # emotion: surprise 0.6 # gesture: blush
Mira: Line 73, about the market and the harvest. # emotion: sadness 0.5 # gesture: sigh
Bram: Line 74, about the old bridge and the fire. # emotion: anger 0.7 # gesture: glare
Yuki: Line 75, about the fire and the well.
Mira: Line 76, about the old bridge and the bell. # emotion: joy 0.7 # gesture: hum
Bram: Line 77, about the fire and the harvest. # emotion: anger 0.7 # gesture: glare
Yuki: Line 78, about the fire and the bell. # emotion: sadness 0.6 # gesture: cry
Mira: Line 79, about the well and the well. # emotion: sadness 0.5 # gesture: sigh
Bram: Line 80, about the storm and the woods.
Yuki: Line 81, about the bell and the storm. # emotion: surprise 0.6 # gesture: blush
Mira: Line 82, about the old bridge and the storm. # emotion: joy 0.8 # gesture: wave
Bram: Line 83, about the well and the well. # emotion: neutral 0.6 # gesture: warm_hands
Yuki: Line 84, about the storm and the storm. # emotion: surprise 0.7
Mira: Line 85, about the well and the woods.
Bram: Line 86, about the bell and the old bridge. # emotion: anger 0.8 # gesture: stomp
Yuki: Line 87, about the well and the market. # emotion: sadness 0.6 # gesture: cry
Mira: Line 88, about the market and the market. # emotion: joy 0.7 # gesture: hum
Bram: Line 89, about the harvest and the old bridge. # emotion: neutral 0.6 # gesture: warm_hands
Yuki: Line 90, about the bell and the fire.
Mira: Line 91, about the market and the fire. # emotion: surprise 0.6
Bram: Line 92, about the well and the well. # emotion: anger 0.8 # gesture: stomp
Yuki: Line 93, about the old bridge and the well. # emotion: surprise 0.6 # gesture: blush
Mira: Line 94, about the storm and the bell. # emotion: surprise 0.6
Bram: Line 95, about the woods and the market.
Yuki: Line 96, about the fire and the fire. # emotion: sadness 0.6 # gesture: cry
Mira: Line 97, about the old bridge and the bell. # emotion: sadness 0.5 # gesture: sigh
Bram: Line 98, about the old bridge and the storm. # emotion: neutral 0.7
Yuki: Line 99, about the bell and the harvest. # emotion: sadness 0.6 # gesture: cry
Mira: Line 100, about the market and the storm.
Bram: Line 101, about the well and the market. # emotion: neutral 0.7
Yuki: Line 102, about the bell and the harvest. # emotion: surprise 0.6 # gesture: blush
Mira: Line 103, about the harvest and the well. # emotion: joy 0.8 # gesture: wave
Bram: Line 104, about the storm and the market. # emotion: neutral 0.6 # gesture: warm_hands
Yuki: Line 105, about the harvest and the harvest.
Mira: Line 106, about the market and the bell. # emotion: joy 0.8 # gesture: wave
Bram: Line 107, about the fire and the well. # emotion: neutral 0.6 # gesture: warm_hands
Yuki: Line 108, about the well and the market. # emotion: surprise 0.6 # gesture: blush
Mira: Line 109, about the old bridge and the well. # emotion: joy 0.8 # gesture: wave
Bram: Line 110, about the market and the old bridge.
Yuki: Line 111, about the woods and the bell. # emotion: surprise 0.7
Mira: Line 112, about the woods and the old bridge. # emotion: joy 0.7 # gesture: hum
Bram: Line 113, about the bell and the harvest. # emotion: neutral 0.7
Yuki: Line 114, about the harvest and the old bridge. # emotion: surprise 0.7
Mira: Line 115, about the storm and the harvest.
Bram: Line 116, about the bell and the old bridge. # emotion: anger 0.8 # gesture: stomp
Yuki: Line 117, about the fire and the bell. # emotion: surprise 0.6 # gesture: blush
Mira: Line 118, about the old bridge and the harvest. # emotion: sadness 0.5 # gesture: sigh
Bram: Line 119, about the storm and the fire. # emotion: neutral 0.7
Yuki: Line 120, about the well and the old bridge.
Mira: Line 121, about the harvest and the bell. # emotion: joy 0.8 # gesture: wave
Bram: Line 122, about the bell and the old bridge. # emotion: neutral 0.7
Yuki: Line 123, about the old bridge and the well. # emotion: surprise 0.6 # gesture: blush
Mira: Line 124, about the woods and the well. # emotion: surprise 0.6
Bram: Line 125, about the market and the fire.
Yuki: Line 126, about the market and the storm. # emotion: sadness 0.6 # gesture: cry
Mira: Line 127, about the fire and the woods. # emotion: joy 0.7 # gesture: hum
Bram: Line 128, about the well and the woods. # emotion: anger 0.7 # gesture: glare
Yuki: Line 129, about the harvest and the well. # emotion: fear 0.8 # gesture: cower
Mira: Line 130, about the bell and the fire.
Bram: Line 131, about the bell and the market. # emotion: neutral 0.7
Yuki: Line 132, about the storm and the market. # emotion: fear 0.8 # gesture: cower
Mira: Line 133, about the harvest and the fire. # emotion: joy 0.7 # gesture: hum
Bram: Line 134, about the storm and the market. # emotion: neutral 0.7
Yuki: Line 135, about the bell and the old bridge.
Mira: Line 136, about the well and the storm. # emotion: joy 0.7 # gesture: hum
Bram: Line 137, about the market and the bell. # emotion: anger 0.8 # gesture: stomp
Yuki: Line 138, about the bell and the storm. # emotion: sadness 0.6 # gesture: cry
Mira: Line 139, about the market and the storm. # emotion: joy 0.8 # gesture: wave
Bram: Line 140, about the storm and the fire.
Yuki: Line 141, about the bell and the fire. # emotion: sadness 0.6 # gesture: cry
Mira: Line 142, about the market and the well. # emotion: joy 0.7 # gesture: hum
Bram: Line 143, about the well and the fire. # emotion: neutral 0.7
Yuki: Line 144, about the woods and the fire. # emotion: surprise 0.7
Mira: Line 145, about the market and the old bridge.
Bram: Line 146, about the storm and the harvest. # emotion: neutral 0.7
Yuki: Line 147, about the woods and the well. # emotion: surprise 0.7
Mira: Line 148, about the harvest and the bell. # emotion: sadness 0.5 # gesture: sigh
Bram: Line 149, about the fire and the woods. # emotion: neutral 0.6 # gesture: warm_hands
Yuki: Line 150, about the bell and the old bridge.
Mira: Line 151, about the harvest and the well. # emotion: joy 0.7 # gesture: hum
Bram: Line 152, about the harvest and the well. # emotion: anger 0.7 # gesture: glare
Yuki: Line 153, about the harvest and the old bridge. # emotion: sadness 0.6 # gesture: cry
Mira: Line 154, about the well and the market. # emotion: joy 0.8 # gesture: wave
Bram: Line 155, about the old bridge and the woods.
Yuki: Line 156, about the fire and the woods. # emotion: fear 0.8 # gesture: cower
Mira: Line 157, about the harvest and the market. # emotion: surprise 0.6
Bram: Line 158, about the well and the fire. # emotion: anger 0.7 # gesture: glare
Yuki: Line 159, about the woods and the bell. # emotion: fear 0.8 # gesture: cower
Mira: Line 160, about the fire and the fire.
Bram: Line 161, about the old bridge and the market. # emotion: neutral 0.7
Yuki: Line 162, about the harvest and the woods. # emotion: sadness 0.6 # gesture: cry
Mira: Line 163, about the bell and the storm. # emotion: sadness 0.5 # gesture: sigh
Bram: Line 164, about the fire and the market. # emotion: anger 0.8 # gesture: stomp
Yuki: Line 165, about the old bridge and the well.
Mira: Line 166, about the bell and the bell. # emotion: joy 0.7 # gesture: hum
Bram: Line 167, about the storm and the harvest. # emotion: neutral 0.7
Yuki: Line 168, about the woods and the fire. # emotion: surprise 0.7
Mira: Line 169, about the storm and the bell. # emotion: surprise 0.6
Bram: Line 170, about the storm and the storm.
Yuki: Line 171, about the harvest and the woods. # emotion: sadness 0.6 # gesture: cry
Mira: Line 172, about the bell and the well. # emotion: joy 0.8 # gesture: wave
Bram: Line 173, about the storm and the bell. # emotion: neutral 0.6 # gesture: warm_hands
Yuki: Line 174, about the market and the harvest. # emotion: fear 0.8 # gesture: cower
Mira: Line 175, about the market and the well.
Bram: Line 176, about the woods and the bell. # emotion: neutral 0.7
Yuki: Line 177, about the old bridge and the well. # emotion: sadness 0.6 # gesture: cry
Mira: Line 178, about the fire and the old bridge. # emotion: joy 0.7 # gesture: hum
Bram: Line 179, about the market and the well. # emotion: neutral 0.7
Yuki: Line 180, about the well and the well.
Mira: Line 181, about the harvest and the bell. # emotion: joy 0.7 # gesture: hum
Bram: Line 182, about the well and the market. # emotion: anger 0.7 # gesture: glare
Yuki: Line 183, about the market and the woods. # emotion: sadness 0.6 # gesture: cry
Mira: Line 184, about the fire and the harvest. # emotion: surprise 0.6
Bram: Line 185, about the harvest and the market.
Yuki: Line 186, about the market and the woods. # emotion: fear 0.8 # gesture: cower
Mira: Line 187, about the fire and the market. # emotion: joy 0.8 # gesture: wave
Bram: Line 188, about the bell and the old bridge. # emotion: anger 0.7 # gesture: glare
Yuki: Line 189, about the woods and the market. # emotion: surprise 0.7
Mira: Line 190, about the old bridge and the old bridge.
Bram: Line 191, about the harvest and the harvest. # emotion: anger 0.8 # gesture: stomp
Yuki: Line 192, about the storm and the fire. # emotion: fear 0.8 # gesture: cower
Mira: Line 193, about the market and the market. # emotion: surprise 0.6
Bram: Line 194, about the woods and the bell. # emotion: neutral 0.7
Yuki: Line 195, about the harvest and the woods.
Mira: Line 196, about the harvest and the storm. # emotion: surprise 0.6
Bram: Line 197, about the well and the woods. # emotion: neutral 0.7
Yuki: Line 198, about the harvest and the market. # emotion: surprise 0.6 # gesture: blush
Mira: Line 199, about the fire and the fire. # emotion: joy 0.8 # gesture: wave
Bram: Line 200, about the woods and the bell.
-> END
